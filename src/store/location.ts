import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { describePostgres, isPostgresUrl, postgresLocation } from "./postgres/setting.js";
import { refuseUnknownScheme } from "./schemes.js";
import type { StoreLocation } from "./types.js";

/**
 * Where the store lives, from MOCO_STORE: unset or "" = one file in the user's data directory,
 * "memory" = nothing on disk, "off" = no mirror at all (every read is a live scan), postgres:// or
 * postgresql:// = PostgreSQL (postgres/setting.ts), another scheme:// = refused, anything else = a
 * file path (relative paths are taken from the working directory).
 */
export type StoreSetting = StoreLocation | { kind: "off" };

export const STORE_DIR_NAME = "moco-leads-mcp";
export const STORE_FILE_NAME = "store.sqlite";

export interface LocationEnv {
  XDG_DATA_HOME?: string;
  XDG_CACHE_HOME?: string;
  LOCALAPPDATA?: string;
  HOME?: string;
  USERPROFILE?: string;
}

export function resolveStoreSetting(
  value: string | undefined,
  env: LocationEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): StoreSetting {
  const v = value?.trim() ?? "";
  if (v.toLowerCase() === "memory") return { kind: "memory" };
  if (v.toLowerCase() === "off") return { kind: "off" };
  if (isPostgresUrl(v)) return postgresLocation(v);
  refuseUnknownScheme(v);
  if (v !== "") return { kind: "file", path: isAbsolute(v) ? v : resolve(v) };
  return { kind: "file", path: join(dataDir(env, platform), STORE_DIR_NAME, STORE_FILE_NAME) };
}

/** The per-user data directory of each platform's convention. */
export function dataDir(env: LocationEnv, platform: NodeJS.Platform): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === "win32") return env.LOCALAPPDATA || join(home, "AppData", "Local");
  if (platform === "darwin") return join(home, "Library", "Application Support");
  return xdgDir(env.XDG_DATA_HOME, join(home, ".local", "share"));
}

/** The per-user cache directory (what may be deleted at any time) of each platform's convention. */
export function cacheDir(env: LocationEnv, platform: NodeJS.Platform): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === "win32") return env.LOCALAPPDATA || join(home, "AppData", "Local");
  if (platform === "darwin") return join(home, "Library", "Caches");
  return xdgDir(env.XDG_CACHE_HOME, join(home, ".cache"));
}

// The XDG spec ignores a relative path.
const xdgDir = (value: string | undefined, fallback: string) =>
  value && isAbsolute(value) ? value : fallback;

/** For logs and the admin listing. */
export function describeLocation(location: StoreSetting): string {
  if (location.kind === "postgres") return describePostgres(location);
  return location.kind === "file" ? location.path : location.kind;
}
