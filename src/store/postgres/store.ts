import type { Pool, PoolClient } from "pg";
import { log } from "../../log.js";
import { SCHEMA_VERSION } from "../migrations.js";
import { nextFloor, REMOVALS_KEPT } from "../scope-row.js";
import {
  type ChangeQuery,
  type ChangeRow,
  type Commit,
  type LeadStore,
  type LeadUpsert,
  type ScopeInfo,
  type ScopeRow,
  type StagedScan,
  type StoredLead,
  type StoreInfo,
  StoreUnavailableError,
  type WrittenLead,
} from "../types.js";
import { migrate } from "./migrate.js";
import { Retry } from "./retry.js";
import { quoteIdent } from "./setting.js";
import { type Queryable, readScope, type Sql, statements, writeChanges, writeLeads } from "./sql.js";

type Row = Record<string, unknown>;
type Page = { afterId?: number; limit?: number };

/**
 * The lead store of a team server, on PostgreSQL through a bounded pool. It behaves as the SQLite
 * store does (test/store/contract.ts): a failure (the server gone, a refused login, a statement that
 * fails) logs one warning and turns the store unavailable, so callers fall back to live reads instead
 * of answering from a store that failed half-way. Unlike a SQLite file, a database comes back: the
 * store is tried again when asked (Retry: every few seconds at most), and once it answers it is used
 * again, one line in the log saying so; on its way back it counts one write of unknown
 * outcome in every scope, so that every instance syncs before it answers from the store again (writes
 * made meanwhile reached MOCO, not the store); `outages` counts the losses. A commit locks its
 * scope's row (SELECT … FOR UPDATE), so instances sharing the database commit one after the other and
 * the version check refuses the one computed against an older state. Lease times are the database's
 * clock, not each instance's.
 */
export class PostgresStore implements LeadStore {
  private pool: Pool | undefined;
  problem: string | undefined;
  /** How many times the store was lost; a mirror that saw fewer syncs before it answers again. */
  outages = 0;
  private readonly sql: Sql;
  private readonly retry = new Retry(() => this.reconnect());
  private lostAt = 0;

  constructor(
    readonly where: string,
    private readonly schema: string,
  ) {
    this.sql = statements(quoteIdent(schema));
  }

  /** False while the store is lost; asking is what tries it again, in the background, when due. */
  get available(): boolean {
    if (this.problem !== undefined) void this.retry.tryAgain();
    return this.pool !== undefined && this.problem === undefined;
  }

  attach(pool: Pool): void {
    this.pool = pool;
  }

  /** Logs the one warning (first failure of an outage only) and returns the error callers see until it is back. */
  markFailed(error: unknown): StoreUnavailableError {
    if (this.problem === undefined) {
      this.problem = `the lead store in PostgreSQL (${this.where}) cannot be used (${reason(error)})`;
      this.outages++;
      this.lostAt = Date.now();
      this.retry.lost();
      const again = this.pool ? ", until it answers again (tried every few seconds)" : "";
      log(
        "warn",
        `${this.problem}; continuing without the lead mirror: reads are live scans of MOCO${again}`,
      );
    }
    return new StoreUnavailableError(this.problem);
  }

  /** One try of a lost store: the schema as migrate() leaves it (the database may be a new one). */
  private async reconnect(): Promise<void> {
    const pool = this.pool;
    if (!pool || this.problem === undefined) return;
    await migrate(pool, this.schema);
    // Writes made during the outage reached MOCO, not the store, also from instances that never saw it
    // lost (they made no store call meanwhile): every instance syncs each scope once before answering.
    await pool.query(this.sql.markAllUnsure);
    if (this.pool !== pool) return; // closed meanwhile
    this.problem = undefined;
    const seconds = Math.round((Date.now() - this.lostAt) / 1000);
    log(
      "info",
      `the lead store in PostgreSQL (${this.where}) answers again after ${seconds} s; the lead mirror is used again, each copy synced with MOCO first`,
    );
  }

  private async run<T>(work: (db: Pool) => Promise<T>): Promise<T> {
    const pool = this.pool;
    if (!pool || this.problem !== undefined) {
      if (pool) void this.retry.tryAgain();
      throw new StoreUnavailableError(this.problem ?? "store closed");
    }
    try {
      return await work(pool);
    } catch (error) {
      throw this.markFailed(error);
    }
  }

  /** One transaction on one connection; a failed one is rolled back and its connection dropped. */
  private transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.run(async (pool) => {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query("BEGIN");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        broken = true;
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release(broken);
      }
    });
  }

  async getScope(scope: string): Promise<ScopeRow | undefined> {
    return this.run((db) => readScope(db, this.sql, scope));
  }

  async ensureScope(scope: string, baseUrl: string): Promise<ScopeRow> {
    return this.run(async (db) => {
      await db.query(this.sql.ensureScope, [scope, baseUrl, new Date().toISOString()]);
      return (await readScope(db, this.sql, scope)) as ScopeRow;
    });
  }

  async loadLeads(scope: string, page: Page = {}): Promise<StoredLead[]> {
    return this.run((db) => this.readLeads(db, this.sql.loadLeads, scope, page));
  }

  async loadStaged(scope: string, page: Page = {}): Promise<StoredLead[]> {
    return this.run((db) => this.readLeads(db, this.sql.loadStaged, scope, page));
  }

  private async readLeads(db: Queryable, sql: string, scope: string, page: Page): Promise<StoredLead[]> {
    const limit = page.limit === undefined ? null : Math.max(0, Math.floor(page.limit));
    const { rows } = await db.query<Row>(sql, [scope, page.afterId ?? -1, limit]);
    return rows.map((r) => ({ id: Number(r.id), body: String(r.body) }));
  }

  async stagedScan(scope: string): Promise<StagedScan | undefined> {
    return this.run(async (db) => {
      const r = (await db.query<Row>(this.sql.stagedScan, [scope])).rows[0];
      if (!r) return undefined;
      const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
      return {
        nextPage: num(r.next_page),
        total: num(r.total),
        pages: Number(r.pages),
        startedAt: Number(r.started_at),
      };
    });
  }

  async stagePage(scope: string, scan: StagedScan, leads: readonly LeadUpsert[]): Promise<void> {
    await this.transaction(async (client) => {
      await writeLeads(client, this.sql.upsertStaged, scope, leads);
      await client.query(this.sql.stageScan, [scope, scan.nextPage, scan.total, scan.pages, scan.startedAt]);
    });
  }

  async clearStage(scope: string): Promise<void> {
    await this.transaction((client) => this.clear(client, scope));
  }

  private async clear(db: Queryable, scope: string): Promise<void> {
    await db.query(this.sql.clearStagedLeads, [scope]);
    await db.query(this.sql.clearStagedScan, [scope]);
  }

  async commit(scope: string, commit: Commit): Promise<ScopeRow | undefined> {
    return this.transaction(async (client) => {
      const before = await readScope(client, this.sql, scope, true);
      if (!before || before.version !== commit.expectedVersion) return undefined;
      const version = before.version + 1;
      if (commit.fromStage) {
        await client.query(this.sql.deleteLeads, [scope]);
        await client.query(this.sql.leadsFromStage, [scope, version]);
        await client.query(this.sql.clearRemoved, [scope]);
        await this.clear(client, scope);
      }
      await this.stamp(client, scope, commit, version);
      const dropped = await client.query(this.sql.dropRemoved, [scope, version - REMOVALS_KEPT]);
      const seq = await writeChanges(client, this.sql.insertChanges, scope, before.lastSeq, commit.changes);
      await client.query(this.sql.afterCommit, [
        seq,
        commit.syncedAt ?? null,
        commit.cursor ?? null,
        commit.historyStart ?? null,
        scope,
        commit.settle ?? null,
        commit.gap !== undefined,
        commit.gap ?? null,
        nextFloor(before, commit.fromStage === true, (dropped.rowCount ?? 0) > 0),
      ]);
      return readScope(client, this.sql, scope);
    });
  }

  /** A commit's leads and deletions, each stamped with its version (writtenSince, removedSince). */
  private async stamp(client: PoolClient, scope: string, commit: Commit, version: number): Promise<void> {
    await writeLeads(client, this.sql.upsertLeads, scope, commit.upserts, version);
    if (commit.upserts.length > 0)
      await client.query(this.sql.revived, [scope, commit.upserts.map((l) => l.id)]);
    if (commit.deletes.length === 0) return;
    await client.query(this.sql.deleteSome, [scope, commit.deletes]);
    await client.query(this.sql.recordRemoved, [scope, [...new Set(commit.deletes)], version]);
  }

  async writtenSince(
    scope: string,
    version: number,
    page: { after?: { written: number; id: number }; limit?: number } = {},
  ): Promise<WrittenLead[]> {
    return this.run(async (db) => {
      const after = page.after ?? { written: version, id: -1 };
      const limit = page.limit === undefined ? null : Math.max(0, Math.floor(page.limit));
      const { rows } = await db.query<Row>(this.sql.writtenSince, [
        scope,
        version,
        after.written,
        after.id,
        limit,
      ]);
      return rows.map((r) => ({ id: Number(r.id), body: String(r.body), written: Number(r.written) }));
    });
  }

  async removedSince(scope: string, version: number): Promise<number[]> {
    return this.run(async (db) =>
      (await db.query<Row>(this.sql.removedSince, [scope, version])).rows.map((r) => Number(r.id)),
    );
  }

  async markUnsure(scope: string): Promise<boolean> {
    return this.run(async (db) => (await db.query(this.sql.markUnsure, [scope])).rowCount === 1);
  }

  async changes(scope: string, query: ChangeQuery): Promise<ChangeRow[]> {
    return this.run(async (db) => {
      const where = ["scope = $1"];
      const params: (string | number | null)[] = [scope];
      const when = (condition: string, value: string | number | undefined) => {
        if (value === undefined) return;
        params.push(value);
        where.push(`${condition} $${params.length}`);
      };
      when("seen_at >", query.seenAfter);
      when("seen_at <=", query.seenUntil);
      when("seq >", query.afterSeq);
      when("lead_id =", query.leadId);
      params.push(query.limit === undefined ? null : Math.max(0, Math.floor(query.limit)));
      const order = query.order === "desc" ? "DESC" : "ASC";
      const sql = `SELECT seq, lead_id, seen_at, kind, origin, data FROM ${this.sql.t("changes")}
        WHERE ${where.join(" AND ")} ORDER BY seq ${order} LIMIT $${params.length}`;
      return (await db.query<Row>(sql, params)).rows.map((r) => ({
        seq: Number(r.seq),
        leadId: Number(r.lead_id),
        seenAt: String(r.seen_at),
        kind: r.kind as ChangeRow["kind"],
        origin: r.origin as ChangeRow["origin"],
        data: String(r.data),
      }));
    });
  }

  async prune(scope: string, before: string): Promise<number> {
    return this.transaction(async (client) => {
      await readScope(client, this.sql, scope, true); // the scope row first, as a commit does: no deadlock
      const { rowCount } = await client.query(this.sql.pruneChanges, [scope, before]);
      await client.query(this.sql.moveHistoryStart, [before, scope]);
      return rowCount ?? 0;
    });
  }

  async acquireLease(scope: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.run(
      async (db) => (await db.query(this.sql.acquireLease, [owner, ttlMs, scope])).rowCount === 1,
    );
  }

  async releaseLease(scope: string, owner: string): Promise<void> {
    await this.run((db) => db.query(this.sql.releaseLease, [scope, owner]));
  }

  /** Atomic under concurrency: a second INSERT of the same key waits for the first and then finds it. */
  async claim(key: string, untilMs: number): Promise<boolean> {
    return this.run(async (db) => {
      await db.query(this.sql.pruneClaims);
      return (await db.query(this.sql.claim, [key, Math.floor(untilMs)])).rowCount === 1;
    });
  }

  async unclaim(key: string): Promise<void> {
    await this.run((db) => db.query(this.sql.unclaim, [key]));
  }

  async ready(): Promise<string | undefined> {
    if (this.pool && this.problem !== undefined) await this.retry.tryAgain();
    if (!this.pool || this.problem !== undefined) return "lead store unavailable";
    try {
      await this.pool.query("SELECT 1");
      return undefined;
    } catch {
      return "lead store not answering";
    }
  }

  async describe(): Promise<StoreInfo> {
    return this.run(async (db) => {
      const { rows } = await db.query<Row>(this.sql.describeScopes);
      const scopes = rows.map(
        (r): ScopeInfo => ({
          scope: String(r.scope),
          baseUrl: String(r.base_url),
          leads: Number(r.leads),
          changes: Number(r.changes),
          syncedAt: nullable(r.synced_at),
          historyStart: nullable(r.history_start),
          oldestChange: nullable(r.oldest),
        }),
      );
      const size = await db.query<Row>(this.sql.sizeBytes, [this.schema]);
      return {
        where: this.where,
        sizeBytes: Number(size.rows[0]?.bytes ?? 0),
        schemaVersion: SCHEMA_VERSION,
        scopes,
      };
    });
  }

  async deleteScope(scope: string): Promise<boolean> {
    return this.transaction(async (client) => {
      await readScope(client, this.sql, scope, true); // the scope row first, as a commit does: no deadlock
      await client.query(this.sql.deleteLeads, [scope]);
      await client.query(this.sql.deleteChanges, [scope]);
      await client.query(this.sql.clearRemoved, [scope]);
      await this.clear(client, scope);
      return ((await client.query(this.sql.deleteScope, [scope])).rowCount ?? 0) > 0;
    });
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => {});
  }
}

const nullable = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The driver's message; a refused connection to a name with several addresses is an AggregateError without one. */
function reason(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return reason(error.errors[0]);
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}
