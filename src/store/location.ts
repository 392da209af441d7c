import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describePostgres, isPostgresUrl, postgresLocation } from "./postgres/setting.js";
import type { StoreLocation } from "./types.js";

/**
 * Where the store lives, from MOCO_STORE: unset or "" = one file in the user's data directory,
 * "memory" = nothing on disk, "off" = no mirror at all (every read is a live scan), postgres:// or
 * postgresql:// = PostgreSQL (postgres/setting.ts), a file:// URL or
 * anything else = a file path (relative paths are taken from the working directory). Any other URL
 * (redis://, https://, mysql://, …) is refused: taken as a path it would create a folder
 * "postgres:" in the working directory and keep the data somewhere nobody asked for.
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

/** What MOCO_STORE takes, for the one line that refuses anything else. */
export const STORE_SETTINGS =
  'a postgres:// or postgresql:// URL, a file path, a file:// URL, "memory" or "off" (unset: a file in your data directory)';

// A URL's scheme: two characters or more, so that a Windows drive (C:\…) stays a path.
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * The setting, or with `problems` the reason it cannot be used pushed there (the config reports them
 * all; what is returned then is never used). Without `problems` a refused setting throws.
 */
export function resolveStoreSetting(
  value: string | undefined,
  env: LocationEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  problems?: string[],
): StoreSetting {
  const v = value?.trim() ?? "";
  if (v.toLowerCase() === "memory") return { kind: "memory" };
  if (v.toLowerCase() === "off") return { kind: "off" };
  if (isPostgresUrl(v)) return postgresLocation(v);
  const scheme = SCHEME.exec(v)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    const path = scheme === "file" ? filePath(v) : undefined;
    if (path !== undefined) return { kind: "file", path };
    // Only the scheme is named: the rest of a URL may hold a password.
    const problem = `MOCO_STORE: "${scheme}:" ${scheme === "file" ? "is not a local file URL" : "URLs are not served"}; it takes ${STORE_SETTINGS}`;
    if (!problems) throw new Error(problem);
    problems.push(problem);
    return { kind: "off" };
  }
  if (v !== "") return { kind: "file", path: isAbsolute(v) ? v : resolve(v) };
  return { kind: "file", path: join(dataDir(env, platform), STORE_DIR_NAME, STORE_FILE_NAME) };
}

function filePath(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
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
