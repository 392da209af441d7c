/**
 * The grant store's interface lives beside the lead store (src/store/grants.ts), so that the
 * PostgreSQL implementation (src/store/postgres/grants.ts) can implement it without the store
 * importing OAuth; the authorization server reads it from here.
 */
export type * from "../store/grants.js";
