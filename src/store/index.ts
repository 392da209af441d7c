// The lead store: where mirrors and their history are kept. openStore() never throws: a store that
// cannot be used comes back with available = false and one warning logged.

import { openSqliteStore } from "./sqlite.js";
import type { LeadStore, StoreLocation } from "./types.js";

export { keyHash, scopeKey } from "../moco/scope.js";
export { describeLocation, resolveStoreSetting, type StoreSetting } from "./location.js";
export type * from "./types.js";
export { StoreUnavailableError } from "./types.js";

/** SQLite for a file or memory; PostgreSQL (its driver loaded only then) for a postgres:// URL. */
export async function openStore(location: StoreLocation): Promise<LeadStore> {
  if (location.kind === "postgres") {
    const { openPostgresStore } = await import("./postgres/index.js");
    return openPostgresStore(location);
  }
  return openSqliteStore(location);
}
