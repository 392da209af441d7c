// The lead store: where mirrors and their history are kept. openStore() never throws: a store that
// cannot be used comes back with available = false and one warning logged.

import { openSqliteStore } from "./sqlite.js";
import type { LeadStore, StoreLocation } from "./types.js";

export { keyHash, scopeKey } from "../moco/scope.js";
export { describeLocation, resolveStoreSetting, type StoreSetting } from "./location.js";
export type * from "./types.js";
export { StoreUnavailableError } from "./types.js";

export function openStore(location: StoreLocation): Promise<LeadStore> {
  return openSqliteStore(location);
}
