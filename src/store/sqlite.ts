import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { log } from "../log.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.js";
import { nullable } from "./scope-row.js";
import { clearStage, readRemoved, readScope, readWritten, writeCommit } from "./sqlite-commit.js";
import {
  type ChangeQuery,
  type ChangeRow,
  type Commit,
  type LeadStore,
  type LeadUpsert,
  type ScopeInfo,
  type ScopeRow,
  type SqliteLocation,
  type StagedScan,
  type StoredLead,
  type StoreInfo,
  StoreUnavailableError,
  type WrittenLead,
} from "./types.js";

/**
 * The embedded store on node:sqlite. Every method runs synchronously inside one try: the first
 * failure (a corrupt file, a lock held too long, a read-only disk) logs one warning and turns the store
 * unavailable for good, so callers fall back to live reads instead of answering from a store that
 * failed half-way. Transactions are SQLite's own: an interrupted commit leaves the previous state.
 */
type Row = Record<string, unknown>;

const BUSY_TIMEOUT_MS = 2000;
const CHECKPOINT_ROWS = 1000;

export async function openSqliteStore(location: SqliteLocation): Promise<LeadStore> {
  const store = new SqliteStore(location);
  try {
    // Imported here, not at the top: Node 22 prints an ExperimentalWarning on import, and a server
    // with MOCO_STORE=off should not print it.
    const { DatabaseSync } = await import("node:sqlite");
    const path = location.kind === "file" ? prepareFile(location.path) : ":memory:";
    store.attach(new DatabaseSync(path));
  } catch (error) {
    store.markFailed(error);
  }
  return store;
}

/** Owner-only directory and file: the mirror holds an account's pipeline. */
export function prepareFile(path: string): string {
  const dir = dirname(path);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
  // SQLite gives its -wal and -shm files the database file's permissions.
  chmodSync(path, 0o600);
  return path;
}

class SqliteStore implements LeadStore {
  private db: DatabaseSync | undefined;
  problem: string | undefined;

  constructor(private readonly location: SqliteLocation) {}

  /** The file's path, or "memory". */
  get where(): string {
    return this.location.kind === "file" ? this.location.path : "memory";
  }

  get available(): boolean {
    return this.db !== undefined && this.problem === undefined;
  }

  attach(db: DatabaseSync): void {
    this.db = db;
    this.run((d) => {
      d.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // Only takes effect on a new, empty file; lets compact() return freed pages to the disk.
      d.exec("PRAGMA auto_vacuum = INCREMENTAL");
      // WAL: readers are not blocked by a sync's commit. synchronous=NORMAL is durable against crashes
      // of the process and keeps the file consistent on power loss (the last commits may be lost:
      // the next sync reads them again).
      if (this.location.kind === "file") d.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
      d.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      this.migrate(d);
    });
  }

  /** Logs the one warning (first failure only) and returns the error callers see from now on. */
  markFailed(error: unknown): StoreUnavailableError {
    if (this.problem === undefined) {
      const reason = error instanceof Error ? error.message : String(error);
      this.problem = `the lead store ${where(this.location)} cannot be used (${reason})`;
      log("warn", `${this.problem}; continuing without the lead mirror: reads are live scans of MOCO`);
      try {
        this.db?.close();
      } catch {}
    }
    return new StoreUnavailableError(this.problem);
  }

  private run<T>(work: (db: DatabaseSync) => T): T {
    if (!this.db || this.problem !== undefined)
      throw new StoreUnavailableError(this.problem ?? "store closed");
    try {
      return work(this.db);
    } catch (error) {
      throw this.markFailed(error);
    }
  }

  private transaction<T>(db: DatabaseSync, work: () => T): T {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
  }

  private migrate(db: DatabaseSync): void {
    this.transaction(db, () => {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as Row | undefined;
      const current = row ? Number(row.value) : 0;
      if (current > SCHEMA_VERSION) {
        throw new Error(`its schema version ${current} is newer than this server's ${SCHEMA_VERSION}`);
      }
      for (const migration of MIGRATIONS) {
        if (migration.version <= current) continue;
        for (const sql of migration.statements) db.exec(sql);
      }
      db.prepare(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(String(SCHEMA_VERSION));
    });
  }

  async getScope(scope: string): Promise<ScopeRow | undefined> {
    return this.run((db) => readScope(db, scope));
  }

  async ensureScope(scope: string, baseUrl: string): Promise<ScopeRow> {
    return this.run((db) => {
      db.prepare(
        "INSERT INTO scopes (scope, base_url, created_at) VALUES (?, ?, ?) ON CONFLICT (scope) DO NOTHING",
      ).run(scope, baseUrl, new Date().toISOString());
      return readScope(db, scope) as ScopeRow;
    });
  }

  async loadLeads(scope: string, page: { afterId?: number; limit?: number } = {}): Promise<StoredLead[]> {
    return this.run((db) => readLeads(db, "leads", scope, page));
  }

  async loadStaged(scope: string, page: { afterId?: number; limit?: number } = {}): Promise<StoredLead[]> {
    return this.run((db) => readLeads(db, "stage_leads", scope, page));
  }

  async stagedScan(scope: string): Promise<StagedScan | undefined> {
    return this.run((db) => {
      const r = db.prepare("SELECT * FROM stage_scans WHERE scope = ?").get(scope) as Row | undefined;
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
    this.run((db) =>
      this.transaction(db, () => {
        const upsert = db.prepare(
          `INSERT INTO stage_leads (scope, id, updated_at, body) VALUES (?, ?, ?, ?)
           ON CONFLICT (scope, id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body`,
        );
        for (const lead of leads) upsert.run(scope, lead.id, lead.updatedAt, lead.body());
        db.prepare(
          `INSERT INTO stage_scans (scope, next_page, total, pages, started_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (scope) DO UPDATE SET next_page = excluded.next_page, total = excluded.total, pages = excluded.pages`,
        ).run(scope, scan.nextPage, scan.total, scan.pages, scan.startedAt);
      }),
    );
  }

  async clearStage(scope: string): Promise<void> {
    this.run((db) => this.transaction(db, () => clearStage(db, scope)));
  }

  async commit(scope: string, commit: Commit): Promise<ScopeRow | undefined> {
    const result = await this.write(scope, commit);
    this.run((db) => this.compact(db, commit.fromStage ? Number.POSITIVE_INFINITY : commit.upserts.length));
    return result;
  }

  private async write(scope: string, commit: Commit): Promise<ScopeRow | undefined> {
    return this.run((db) => this.transaction(db, () => writeCommit(db, scope, commit)));
  }

  async writtenSince(
    scope: string,
    version: number,
    page: { after?: { written: number; id: number }; limit?: number } = {},
  ): Promise<WrittenLead[]> {
    return this.run((db) => readWritten(db, scope, version, page));
  }

  async removedSince(scope: string, version: number): Promise<number[]> {
    return this.run((db) => readRemoved(db, scope, version));
  }

  /**
   * A big sync leaves a WAL as large as the data, and a first sync leaves the stage's pages free: give
   * both back, so that the file holds one copy of the mirror.
   */
  private compact(db: DatabaseSync, rows: number): void {
    if (this.location.kind !== "file" || rows < CHECKPOINT_ROWS) return;
    db.exec("PRAGMA incremental_vacuum");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  async markUnsure(scope: string): Promise<boolean> {
    return this.run(
      (db) =>
        Number(db.prepare("UPDATE scopes SET unsure = unsure + 1 WHERE scope = ?").run(scope).changes) === 1,
    );
  }

  async changes(scope: string, query: ChangeQuery): Promise<ChangeRow[]> {
    return this.run((db) => {
      const where = ["scope = ?"];
      const params: (string | number)[] = [scope];
      const when = (condition: string, value: string | number | undefined) => {
        if (value === undefined) return;
        where.push(condition);
        params.push(value);
      };
      when("seen_at > ?", query.seenAfter);
      when("seen_at <= ?", query.seenUntil);
      when("seq > ?", query.afterSeq);
      when("lead_id = ?", query.leadId);
      const order = query.order === "desc" ? "DESC" : "ASC";
      const limit = query.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(query.limit))}`;
      const sql = `SELECT seq, lead_id, seen_at, kind, origin, data FROM changes WHERE ${where.join(" AND ")} ORDER BY seq ${order}${limit}`;
      return (db.prepare(sql).all(...params) as Row[]).map((r) => ({
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
    return this.run((db) =>
      this.transaction(db, () => {
        const { changes } = db
          .prepare("DELETE FROM changes WHERE scope = ? AND seen_at < ?")
          .run(scope, before);
        db.prepare(
          "UPDATE scopes SET history_start = ? WHERE scope = ? AND history_start IS NOT NULL AND history_start < ?",
        ).run(before, scope, before);
        return Number(changes);
      }),
    );
  }

  async acquireLease(scope: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.run((db) => {
      const now = Date.now();
      const { changes } = db
        .prepare(
          `UPDATE scopes SET lease_owner = ?, lease_until = ?
           WHERE scope = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)`,
        )
        .run(owner, now + ttlMs, scope, owner, now);
      return Number(changes) === 1;
    });
  }

  async releaseLease(scope: string, owner: string): Promise<void> {
    this.run((db) =>
      db
        .prepare("UPDATE scopes SET lease_owner = NULL, lease_until = 0 WHERE scope = ? AND lease_owner = ?")
        .run(scope, owner),
    );
  }

  async claim(key: string, untilMs: number): Promise<boolean> {
    return this.run((db) => {
      const now = Date.now();
      db.prepare("DELETE FROM spent_tokens WHERE until_ms <= ?").run(now);
      // One statement, so atomic across the processes sharing the file: inserted, or replaced when past.
      const { changes } = db
        .prepare(
          `INSERT INTO spent_tokens (token_hash, until_ms) VALUES (?, ?)
           ON CONFLICT (token_hash) DO UPDATE SET until_ms = excluded.until_ms WHERE spent_tokens.until_ms <= ?`,
        )
        .run(key, Math.floor(untilMs), now);
      return Number(changes) === 1;
    });
  }

  async unclaim(key: string): Promise<void> {
    this.run((db) => db.prepare("DELETE FROM spent_tokens WHERE token_hash = ?").run(key));
  }

  async ready(): Promise<string | undefined> {
    if (!this.db || this.problem !== undefined) return "lead store unavailable";
    try {
      this.db.prepare("SELECT 1").get();
      return undefined;
    } catch {
      return "lead store not answering";
    }
  }

  async describe(): Promise<StoreInfo> {
    return this.run((db) => {
      const rows = db
        .prepare(
          `SELECT s.scope, s.base_url, s.synced_at, s.history_start,
             (SELECT COUNT(*) FROM leads l WHERE l.scope = s.scope) AS leads,
             (SELECT COUNT(*) FROM changes c WHERE c.scope = s.scope) AS changes,
             (SELECT MIN(c.seen_at) FROM changes c WHERE c.scope = s.scope) AS oldest
           FROM scopes s ORDER BY s.scope`,
        )
        .all() as Row[];
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
      return {
        where: this.where,
        sizeBytes: fileSize(this.location),
        schemaVersion: SCHEMA_VERSION,
        scopes,
      };
    });
  }

  async deleteScope(scope: string): Promise<boolean> {
    return this.run((db) =>
      this.transaction(db, () => {
        db.prepare("DELETE FROM leads WHERE scope = ?").run(scope);
        db.prepare("DELETE FROM changes WHERE scope = ?").run(scope);
        db.prepare("DELETE FROM removed_leads WHERE scope = ?").run(scope);
        clearStage(db, scope);
        return Number(db.prepare("DELETE FROM scopes WHERE scope = ?").run(scope).changes) > 0;
      }),
    );
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    try {
      db?.close();
    } catch {}
  }
}

function readLeads(
  db: DatabaseSync,
  table: "leads" | "stage_leads",
  scope: string,
  page: { afterId?: number; limit?: number },
): StoredLead[] {
  const limit = page.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(page.limit))}`;
  const rows = db
    .prepare(`SELECT id, body FROM ${table} WHERE scope = ? AND id > ? ORDER BY id${limit}`)
    .all(scope, page.afterId ?? -1) as Row[];
  return rows.map((r) => ({ id: Number(r.id), body: String(r.body) }));
}

function where(location: SqliteLocation): string {
  return location.kind === "file" ? `at ${location.path}` : "in memory";
}

function fileSize(location: SqliteLocation): number {
  if (location.kind !== "file") return 0;
  let size = 0;
  for (const suffix of ["", "-wal"]) {
    try {
      size += statSync(location.path + suffix).size;
    } catch {}
  }
  return size;
}
