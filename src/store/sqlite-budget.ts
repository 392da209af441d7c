import type { DatabaseSync } from "node:sqlite";
import type { BudgetCells, SlotWait } from "../moco/budget.js";
import { BUDGET_INDEX, BUDGET_TABLE } from "./budget-table.js";
import { prepareFile } from "./sqlite.js";

/** How long a budget statement waits for another process's write (it blocks this process meanwhile). */
const BUSY_TIMEOUT_MS = 1000;
const RELEASE_TRIES = 5;
/** An account none of whose slots was used for this long is forgotten (a sandbox's port, an old account). */
const IDLE_SCOPE_MS = 7 * 24 * 3_600_000;
const PRUNE = `DELETE FROM budget_slots WHERE holder IS NULL AND free_at < ?1 AND scope IN (
  SELECT scope FROM budget_slots GROUP BY scope HAVING MAX(free_at) < ?1)`;

/**
 * The slots of the shared MOCO rate budget in the lead store's SQLite file (table budget_slots), for
 * several processes on one machine sharing one file. A connection of its own, so the budget does not
 * fail with the lead store and comes back when the file can be used again. Taking a slot is one
 * UPDATE … RETURNING statement, which SQLite runs under its write lock: two processes never take the
 * same slot. A file kept locked by another writer longer than a second answers "no slot now" instead
 * of failing: the caller looks again shortly.
 */
export class SqliteBudgetCells implements BudgetCells {
  private db: DatabaseSync | undefined;
  private readonly known = new Set<string>();

  constructor(
    private readonly path: string,
    private readonly now: () => number = Date.now,
  ) {}

  async take(
    scope: string,
    limit: number,
    leaseMs: number,
    holder: string,
  ): Promise<{ slot?: number; waits: SlotWait[] }> {
    const db = await this.open();
    try {
      const key = `${scope}\0${limit}`;
      if (!this.known.has(key)) this.makeSlots(db, scope, limit);
      let taken = this.takeOne(db, scope, limit, leaseMs, holder);
      // Slots pruned by another process since (idle for a week): made again, then taken. (The slots
      // are listed only when none was free: fewer than `limit` then means some were pruned.)
      if (taken.slot === undefined && taken.waits.length < limit) {
        this.makeSlots(db, scope, limit);
        if (taken.slot === undefined) taken = this.takeOne(db, scope, limit, leaseMs, holder);
      }
      this.known.add(key);
      return taken;
    } catch (error) {
      if (busy(error)) return { waits: [] };
      throw this.reset(error);
    }
  }

  private makeSlots(db: DatabaseSync, scope: string, limit: number): void {
    db.prepare(
      `INSERT OR IGNORE INTO budget_slots (scope, slot, free_at)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
       SELECT ?, i, ? FROM n`,
    ).run(limit, scope, this.now());
  }

  private takeOne(db: DatabaseSync, scope: string, limit: number, leaseMs: number, holder: string) {
    const now = this.now();
    const row = db
      .prepare(
        `UPDATE budget_slots SET free_at = ?, holder = ? WHERE scope = ? AND slot = (
           SELECT slot FROM budget_slots WHERE scope = ? AND slot < ? AND free_at <= ?
           ORDER BY free_at, slot LIMIT 1) RETURNING slot`,
      )
      .get(now + leaseMs, holder, scope, scope, limit, now) as { slot: number | bigint } | undefined;
    // The slots are listed only when none was free (the caller then waits and needs their times): a
    // list of every slot at every request would cost O(limit) (1,200 rows on MOCO's unlimited plan).
    const waits = row
      ? []
      : (db
          .prepare(
            "SELECT slot, free_at - ? AS ms, holder IS NOT NULL AS held FROM budget_slots WHERE scope = ? AND slot < ? ORDER BY free_at",
          )
          .all(now, scope, limit) as { slot: number; ms: number; held: number }[]);
    return {
      slot: row ? Number(row.slot) : undefined,
      waits: waits.map((w): SlotWait => ({ slot: Number(w.slot), ms: Number(w.ms), held: Boolean(w.held) })),
    };
  }

  async release(scope: string, slot: number, holder: string, afterMs: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const db = await this.open();
      try {
        db.prepare(
          "UPDATE budget_slots SET free_at = ?, holder = NULL WHERE scope = ? AND slot = ? AND holder = ?",
        ).run(this.now() + Math.max(0, afterMs), scope, slot, holder);
        return;
      } catch (error) {
        if (!busy(error) || attempt >= RELEASE_TRIES) throw this.reset(error);
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }

  async pause(scope: string, ms: number): Promise<void> {
    const db = await this.open();
    try {
      db.prepare("UPDATE budget_slots SET free_at = max(free_at, ?) WHERE scope = ?").run(
        this.now() + ms,
        scope,
      );
    } catch (error) {
      if (!busy(error)) throw this.reset(error);
    }
  }

  async check(): Promise<void> {
    const db = await this.open();
    try {
      db.prepare("SELECT count(*) FROM budget_slots").get();
    } catch (error) {
      throw this.reset(error);
    }
  }

  async close(): Promise<void> {
    this.reset(undefined);
  }

  private async open(): Promise<DatabaseSync> {
    if (this.db) return this.db;
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(prepareFile(this.path));
    try {
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // As the lead store sets it (only a new, empty file takes it): the budget may create the file first.
      db.exec("PRAGMA auto_vacuum = INCREMENTAL");
      db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
      db.exec(BUDGET_TABLE);
      db.exec(BUDGET_INDEX);
      db.prepare(PRUNE).run(this.now() - IDLE_SCOPE_MS);
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    return db;
  }

  /** Drops the connection (the next call opens it again); returns the error to throw. */
  private reset(error: unknown): unknown {
    try {
      this.db?.close();
    } catch {}
    this.db = undefined;
    this.known.clear();
    return error;
  }
}

/** Another process holds the write lock, or wrote since this statement began (SQLITE_BUSY and its extended codes, SQLITE_LOCKED). */
function busy(error: unknown): boolean {
  const code = ((error as { errcode?: number }).errcode ?? 0) & 0xff;
  return code === 5 || code === 6 || /database is locked/i.test(String((error as Error)?.message));
}
