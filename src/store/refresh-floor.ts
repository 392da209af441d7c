import type { ScopeRow } from "./types.js";

/**
 * Deleted lead ids are kept this many versions back (removed_leads): a copy further behind reloads
 * every lead, the table stays small. A commit drops the older ones and raises the scope's floor.
 */
export const REMOVALS_KEPT = 1000;

/** The floor a commit leaves, made on `before`, that replaced the scope or not and dropped deletions or not. */
export function nextFloor(before: ScopeRow, replaced: boolean, dropped: boolean): number {
  const next = before.version + 1;
  if (replaced) return next;
  return dropped ? Math.max(before.refreshFloor, next - REMOVALS_KEPT) : before.refreshFloor;
}

/**
 * The scope's refresh floor as stored: while the latest commit did not stamp what it changed (a
 * server of schema version 4 still running beside this one), no copy refreshes across it.
 */
export function effectiveFloor(version: number, stamped: number, floor: number): number {
  return stamped === version ? floor : version;
}
