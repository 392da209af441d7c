import type { DatabaseSync } from "node:sqlite";
import { nextFloor, REMOVALS_KEPT, scopeFromRow } from "./scope-row.js";
import type { Commit, ScopeRow, WrittenLead } from "./types.js";

/** The SQLite store's commit and what other instances read of it (sqlite.ts runs these in its transactions). */
type Row = Record<string, unknown>;

/**
 * Writes one commit, inside the caller's transaction; undefined when the scope moved past its
 * expected version. Every lead written and id deleted is stamped with the new version (changedSince).
 */
export function writeCommit(db: DatabaseSync, scope: string, commit: Commit): ScopeRow | undefined {
  const before = readScope(db, scope);
  if (!before || before.version !== commit.expectedVersion) return undefined;
  const version = before.version + 1;
  if (commit.fromStage) {
    db.prepare("DELETE FROM leads WHERE scope = ?").run(scope);
    db.prepare(
      `INSERT INTO leads (scope, id, updated_at, body, written)
       SELECT scope, id, updated_at, body, ? FROM stage_leads WHERE scope = ?`,
    ).run(version, scope);
    db.prepare("DELETE FROM removed_leads WHERE scope = ?").run(scope);
    clearStage(db, scope);
  }
  const upsert = db.prepare(
    `INSERT INTO leads (scope, id, updated_at, body, written) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (scope, id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body, written = excluded.written`,
  );
  const revived = db.prepare("DELETE FROM removed_leads WHERE scope = ? AND id = ?");
  for (const lead of commit.upserts) {
    upsert.run(scope, lead.id, lead.updatedAt, lead.body(), version);
    revived.run(scope, lead.id);
  }
  const remove = db.prepare("DELETE FROM leads WHERE scope = ? AND id = ?");
  const removed = db.prepare(
    `INSERT INTO removed_leads (scope, id, written) VALUES (?, ?, ?)
     ON CONFLICT (scope, id) DO UPDATE SET written = excluded.written`,
  );
  for (const id of commit.deletes) {
    remove.run(scope, id);
    removed.run(scope, id, version);
  }
  const dropped = db
    .prepare("DELETE FROM removed_leads WHERE scope = ? AND written <= ?")
    .run(scope, version - REMOVALS_KEPT).changes;
  const insert = db.prepare(
    "INSERT INTO changes (scope, seq, lead_id, seen_at, kind, origin, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  let seq = before.lastSeq;
  for (const c of commit.changes) insert.run(scope, ++seq, c.leadId, c.seenAt, c.kind, c.origin, c.data);
  db.prepare(
    `UPDATE scopes SET version = ?, stamped = ?, refresh_floor = ?, last_seq = ?, synced_at = COALESCE(?, synced_at),
     cursor = COALESCE(?, cursor), history_start = COALESCE(history_start, ?),
     settled = CASE WHEN ? > settled THEN ? ELSE settled END,
     gap = CASE WHEN ? = 1 THEN ? ELSE gap END WHERE scope = ?`,
  ).run(
    version,
    version,
    nextFloor(before, commit.fromStage === true, Number(dropped) > 0),
    seq,
    commit.syncedAt ?? null,
    commit.cursor ?? null,
    commit.historyStart ?? null,
    commit.settle ?? null,
    commit.settle ?? null,
    commit.gap === undefined ? 0 : 1,
    commit.gap ?? null,
    scope,
  );
  return readScope(db, scope);
}

export function readWritten(
  db: DatabaseSync,
  scope: string,
  since: number,
  page: { after?: { written: number; id: number }; limit?: number },
): WrittenLead[] {
  const limit = page.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(page.limit))}`;
  const after = page.after ?? { written: since, id: -1 };
  const rows = db
    .prepare(
      `SELECT id, body, written FROM leads WHERE scope = ? AND written > ? AND (written, id) > (?, ?)
       ORDER BY written, id${limit}`,
    )
    .all(scope, since, after.written, after.id) as Row[];
  return rows.map((r) => ({ id: Number(r.id), body: String(r.body), written: Number(r.written) }));
}

export function readRemoved(db: DatabaseSync, scope: string, since: number): number[] {
  const rows = db
    .prepare("SELECT id FROM removed_leads WHERE scope = ? AND written > ? ORDER BY id")
    .all(scope, since) as Row[];
  return rows.map((r) => Number(r.id));
}

export function clearStage(db: DatabaseSync, scope: string): void {
  db.prepare("DELETE FROM stage_leads WHERE scope = ?").run(scope);
  db.prepare("DELETE FROM stage_scans WHERE scope = ?").run(scope);
}

export function readScope(db: DatabaseSync, scope: string): ScopeRow | undefined {
  const r = db.prepare("SELECT * FROM scopes WHERE scope = ?").get(scope) as Row | undefined;
  return r ? scopeFromRow(r) : undefined;
}
