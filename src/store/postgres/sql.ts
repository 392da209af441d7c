import type { QueryResult, QueryResultRow } from "pg";
import { scopeFromRow } from "../scope-row.js";
import type { LeadUpsert, NewChange, ScopeRow } from "../types.js";

/** A pool or one of its connections (inside a transaction). */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** Rows per multi-row statement: big enough that 20,000 leads are 20 round trips, small enough to bound memory. */
export const BATCH_ROWS = 1000;

/** The epoch milliseconds of the database's clock (leases compare this, not each instance's clock). */
const NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/**
 * Every statement of the store, written once per schema: each table name is qualified with the
 * quoted schema, so no connection depends on a search_path.
 */
export type Sql = ReturnType<typeof statements>;

export function statements(schema: string) {
  const t = (table: string) => `${schema}.${table}`;
  const scope = `SELECT * FROM ${t("scopes")} WHERE scope = $1`;
  return {
    t,
    scope,
    scopeForUpdate: `${scope} FOR UPDATE`,
    ensureScope: `INSERT INTO ${t("scopes")} (scope, base_url, created_at) VALUES ($1, $2, $3)
    ON CONFLICT (scope) DO NOTHING`,
    loadLeads: `SELECT id, body FROM ${t("leads")} WHERE scope = $1 AND id > $2 ORDER BY id LIMIT $3`,
    loadStaged: `SELECT id, body FROM ${t("stage_leads")} WHERE scope = $1 AND id > $2 ORDER BY id LIMIT $3`,
    stagedScan: `SELECT * FROM ${t("stage_scans")} WHERE scope = $1`,
    upsertLeads: `INSERT INTO ${t("leads")} (scope, id, updated_at, body, written)
    SELECT $1, u.id, u.updated_at, u.body, $5 FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u (id, updated_at, body)
    ON CONFLICT (scope, id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body, written = excluded.written`,
    upsertStaged: upsert(t("stage_leads")),
    stageScan: `INSERT INTO ${t("stage_scans")} (scope, next_page, total, pages, started_at)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (scope) DO UPDATE SET next_page = excluded.next_page, total = excluded.total, pages = excluded.pages`,
    clearStagedLeads: `DELETE FROM ${t("stage_leads")} WHERE scope = $1`,
    clearStagedScan: `DELETE FROM ${t("stage_scans")} WHERE scope = $1`,
    deleteLeads: `DELETE FROM ${t("leads")} WHERE scope = $1`,
    deleteSome: `DELETE FROM ${t("leads")} WHERE scope = $1 AND id = ANY ($2::bigint[])`,
    leadsFromStage: `INSERT INTO ${t("leads")} (scope, id, updated_at, body, written)
    SELECT scope, id, updated_at, body, $2 FROM ${t("stage_leads")} WHERE scope = $1`,
    writtenSince: `SELECT id, body, written FROM ${t("leads")}
    WHERE scope = $1 AND written > $2 AND (written, id) > ($3, $4) ORDER BY written, id LIMIT $5`,
    removedSince: `SELECT id FROM ${t("removed_leads")} WHERE scope = $1 AND written > $2 ORDER BY id`,
    revived: `DELETE FROM ${t("removed_leads")} WHERE scope = $1 AND id = ANY ($2::bigint[])`,
    recordRemoved: `INSERT INTO ${t("removed_leads")} (scope, id, written) SELECT $1, unnest($2::bigint[]), $3
    ON CONFLICT (scope, id) DO UPDATE SET written = excluded.written`,
    dropRemoved: `DELETE FROM ${t("removed_leads")} WHERE scope = $1 AND written <= $2`,
    clearRemoved: `DELETE FROM ${t("removed_leads")} WHERE scope = $1`,
    insertChanges: `INSERT INTO ${t("changes")} (scope, seq, lead_id, seen_at, kind, origin, data)
    SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])`,
    afterCommit: `UPDATE ${t("scopes")} SET version = version + 1, stamped = version + 1, refresh_floor = $9, last_seq = $1,
    synced_at = COALESCE($2, synced_at), cursor = COALESCE($3, cursor),
    history_start = COALESCE(history_start, $4), settled = GREATEST(settled, COALESCE($6, settled)),
    gap = CASE WHEN $7 THEN $8 ELSE gap END WHERE scope = $5`,
    markUnsure: `UPDATE ${t("scopes")} SET unsure = unsure + 1 WHERE scope = $1`,
    markAllUnsure: `UPDATE ${t("scopes")} SET unsure = unsure + 1`,
    pruneChanges: `DELETE FROM ${t("changes")} WHERE scope = $1 AND seen_at < $2`,
    moveHistoryStart: `UPDATE ${t("scopes")} SET history_start = $1
    WHERE scope = $2 AND history_start IS NOT NULL AND history_start < $1`,
    deleteChanges: `DELETE FROM ${t("changes")} WHERE scope = $1`,
    deleteScope: `DELETE FROM ${t("scopes")} WHERE scope = $1`,
    acquireLease: `UPDATE ${t("scopes")} SET lease_owner = $1, lease_until = ${NOW_MS} + $2
    WHERE scope = $3 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until < ${NOW_MS})`,
    pruneClaims: `DELETE FROM ${t("spent_tokens")} WHERE until_ms <= ${NOW_MS}`,
    claim: `INSERT INTO ${t("spent_tokens")} AS s (token_hash, until_ms) VALUES ($1, $2)
    ON CONFLICT (token_hash) DO UPDATE SET until_ms = excluded.until_ms WHERE s.until_ms <= ${NOW_MS}`,
    unclaim: `DELETE FROM ${t("spent_tokens")} WHERE token_hash = $1`,
    releaseLease: `UPDATE ${t("scopes")} SET lease_owner = NULL, lease_until = 0
    WHERE scope = $1 AND lease_owner = $2`,
    describeScopes: `SELECT s.scope, s.base_url, s.synced_at, s.history_start,
      (SELECT COUNT(*) FROM ${t("leads")} l WHERE l.scope = s.scope) AS leads,
      (SELECT COUNT(*) FROM ${t("changes")} c WHERE c.scope = s.scope) AS changes,
      (SELECT MIN(c.seen_at) FROM ${t("changes")} c WHERE c.scope = s.scope) AS oldest
    FROM ${t("scopes")} s ORDER BY s.scope COLLATE "C"`,
    sizeBytes: `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
  };
}

const upsert = (table: string) => `INSERT INTO ${table} (scope, id, updated_at, body)
  SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[])
  ON CONFLICT (scope, id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body`;

export async function readScope(
  db: Queryable,
  sql: Sql,
  scope: string,
  forUpdate = false,
): Promise<ScopeRow | undefined> {
  const r = (await db.query(forUpdate ? sql.scopeForUpdate : sql.scope, [scope])).rows[0];
  return r ? scopeFromRow(r) : undefined;
}

/**
 * Inserts or replaces leads, BATCH_ROWS per statement. Within one statement a lead id may appear once
 * (PostgreSQL refuses to update a row twice), so the last of repeated ids wins, as with one statement
 * per row; each kept `body()` is called once, while its batch is written. `more`: parameters from $5 on.
 */
export async function writeLeads(
  db: Queryable,
  sql: string,
  scope: string,
  leads: readonly LeadUpsert[],
  ...more: unknown[]
): Promise<void> {
  for (let start = 0; start < leads.length; start += BATCH_ROWS) {
    const batch = new Map<number, LeadUpsert>();
    for (const lead of leads.slice(start, start + BATCH_ROWS)) {
      batch.delete(lead.id);
      batch.set(lead.id, lead);
    }
    const rows = [...batch.values()];
    await db.query(sql, [
      scope,
      rows.map((l) => l.id),
      rows.map((l) => l.updatedAt),
      rows.map((l) => l.body()),
      ...more,
    ]);
  }
}

/** Appends changes numbered from `lastSeq + 1`; returns the last number used. */
export async function writeChanges(
  db: Queryable,
  sql: string,
  scope: string,
  lastSeq: number,
  changes: readonly NewChange[],
): Promise<number> {
  let seq = lastSeq;
  for (let start = 0; start < changes.length; start += BATCH_ROWS) {
    const batch = changes.slice(start, start + BATCH_ROWS);
    const first = seq + 1;
    seq += batch.length;
    await db.query(sql, [
      scope,
      batch.map((_, i) => first + i),
      batch.map((c) => c.leadId),
      batch.map((c) => c.seenAt),
      batch.map((c) => c.kind),
      batch.map((c) => c.origin),
      batch.map((c) => c.data),
    ]);
  }
  return seq;
}
