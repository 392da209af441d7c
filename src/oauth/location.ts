import { join } from "node:path";
import { dataDir, type LocationEnv, STORE_DIR_NAME } from "../store/location.js";

/**
 * Where the grant store lives unless MOCO_OAUTH_DB says otherwise: the same per-user data directory
 * as the lead store, never the working directory (where a service may start anywhere, and where a
 * file of MOCO keys is easily shared by mistake). Imported by the config: keep it free of Express.
 */
export const GRANTS_FILE_NAME = "oauth-grants.sqlite";

export function defaultGrantsPath(
  env: LocationEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  return join(dataDir(env, platform), STORE_DIR_NAME, GRANTS_FILE_NAME);
}
