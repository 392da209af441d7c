import type { ScopeRow } from "./types.js";

/** A scope's row as the store keeps it: read from either database, and its refresh floor. */

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

export const nullable = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** A `scopes` row as either database returns it (column names as in migrations.ts). */
export function scopeFromRow(r: Record<string, unknown>): ScopeRow {
  return {
    scope: String(r.scope),
    baseUrl: String(r.base_url),
    createdAt: String(r.created_at),
    syncedAt: nullable(r.synced_at),
    cursor: nullable(r.cursor),
    historyStart: nullable(r.history_start),
    version: Number(r.version),
    lastSeq: Number(r.last_seq),
    unsure: Number(r.unsure),
    settled: Number(r.settled),
    gap: nullable(r.gap),
    refreshFloor: effectiveFloor(Number(r.version), Number(r.stamped), Number(r.refresh_floor)),
  };
}
