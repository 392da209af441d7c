import type { Pool } from "pg";
import { log, registerSecret } from "../../log.js";
import type { BudgetCells, SlotWait } from "../../moco/budget.js";
import { BUDGET_INDEX, BUDGET_TABLE } from "../budget-table.js";
import { migrate } from "./migrate.js";
import { type PostgresLocation, postgresProblem, quoteIdent } from "./setting.js";

/**
 * A budget call waits at most this long for a connection (also one from the busy pool) or a
 * statement: the budget then keeps a local share. Generous, so that a loaded database is not taken
 * for a lost one: a refused connection fails at once anyway.
 */
const CALL_TIMEOUT_MS = 5000;
const POOL_MAX = 4;

/** An account none of whose slots was used for this long is forgotten when a process connects. */
const IDLE_SCOPE_MS = 7 * 24 * 3_600_000;

/** The database's clock in epoch milliseconds, read once per statement (every process compares this one). */
const NOW = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/**
 * The slots of the shared MOCO rate budget in PostgreSQL (the deployment's schema, table
 * budget_slots), on a small pool of its own: an outage of the database fails the budget's calls, and
 * it recovers with the database, whatever the lead store does. Taking a slot is one statement: the
 * free slot is picked FOR UPDATE SKIP LOCKED and marked held by the caller in the same statement, so
 * two processes never take the same one. Times are the database's clock.
 */
export class PostgresBudgetCells implements BudgetCells {
  private pool: Pool | undefined;
  private ready: Promise<Pool> | undefined;
  private readonly known = new Set<string>();
  private readonly sql: ReturnType<typeof statements>;

  constructor(private readonly location: PostgresLocation) {
    this.sql = statements(`${quoteIdent(location.schema)}.budget_slots`);
  }

  async take(
    scope: string,
    limit: number,
    leaseMs: number,
    holder: string,
  ): Promise<{ slot?: number; waits: SlotWait[] }> {
    const db = await this.open();
    const key = `${scope}\0${limit}`;
    if (!this.known.has(key)) await db.query(this.sql.slots, [scope, limit]);
    let taken = await this.takeOne(db, scope, limit, leaseMs, holder);
    // Slots pruned by another process since (idle for a week): made again, then taken.
    // The slots are listed only when none was free: fewer than `limit` then means some were pruned.
    if (taken.slot === undefined && taken.waits.length < limit) {
      await db.query(this.sql.slots, [scope, limit]);
      if (taken.slot === undefined) taken = await this.takeOne(db, scope, limit, leaseMs, holder);
    }
    this.known.add(key);
    return taken;
  }

  private async takeOne(db: Pool, scope: string, limit: number, leaseMs: number, holder: string) {
    const r = await db.query<{ slot: string | null; waits: [number, number, boolean][] | null }>(
      this.sql.take,
      [scope, limit, leaseMs, holder],
    );
    const row = r.rows[0];
    const waits: SlotWait[] = (row?.waits ?? []).map(([slot, ms, held]) => ({
      slot: Number(slot),
      ms: Number(ms),
      held,
    }));
    return { slot: row?.slot === null || row?.slot === undefined ? undefined : Number(row.slot), waits };
  }

  async release(scope: string, slot: number, holder: string, afterMs: number): Promise<void> {
    await (await this.open()).query(this.sql.release, [
      scope,
      slot,
      holder,
      Math.max(0, Math.round(afterMs)),
    ]);
  }

  async pause(scope: string, ms: number): Promise<void> {
    await (await this.open()).query(this.sql.pause, [scope, Math.max(0, Math.round(ms))]);
  }

  async check(): Promise<void> {
    await (await this.open()).query("SELECT 1");
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.ready = undefined;
    await pool?.end().catch(() => {});
  }

  /** The pool, with the schema and table in place; a failure is tried again on the next call. */
  private open(): Promise<Pool> {
    this.ready ??= this.connect().catch((error: unknown) => {
      this.ready = undefined;
      this.known.clear();
      throw error;
    });
    return this.ready;
  }

  private async connect(): Promise<Pool> {
    const problem = postgresProblem(this.location);
    if (problem) throw new Error(problem);
    if (!this.pool) {
      const { default: pg } = await import("pg");
      registerSecret(process.env.PGPASSWORD);
      const pool = new pg.Pool({
        connectionString: this.location.url,
        max: POOL_MAX,
        connectionTimeoutMillis: CALL_TIMEOUT_MS,
        statement_timeout: CALL_TIMEOUT_MS,
        query_timeout: CALL_TIMEOUT_MS,
        application_name: `moco-leads-mcp/${this.location.schema}/budget`,
      });
      pool.on("error", (error) =>
        log("debug", `rate budget: an idle PostgreSQL connection failed (${error.message})`),
      );
      this.pool = pool;
    }
    // The schema (migrated as the lead store does it), then the budget's table under the same lock.
    await migrate(this.pool, this.location.schema);
    await this.pool.query(this.sql.create);
    await this.pool.query(this.sql.prune, [IDLE_SCOPE_MS]);
    return this.pool;
  }
}

function statements(table: string) {
  return {
    create: `DO $$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('moco-leads-mcp budget ${table.replaceAll("'", "''")}'));
      ${BUDGET_TABLE.replace("budget_slots", table)};
      -- Only when missing: CREATE INDEX takes a lock on the table even when the index exists.
      IF to_regclass('${`${table}_free`.replaceAll("'", "''")}') IS NULL THEN
        ${BUDGET_INDEX.replace("ON budget_slots", `ON ${table}`)};
      END IF; END $$`,
    /** The scope's first `limit` slots exist (another process may have made them). */
    slots: `INSERT INTO ${table} (scope, slot, free_at)
      SELECT $1, g, ${NOW} FROM generate_series(0, $2::int - 1) AS g ON CONFLICT DO NOTHING`,
    take: `WITH clock AS (SELECT ${NOW} AS now),
      pick AS (
        SELECT s.slot FROM ${table} s WHERE s.scope = $1 AND s.slot < $2 AND s.free_at <= (SELECT now FROM clock)
        ORDER BY s.free_at, s.slot LIMIT 1 FOR UPDATE OF s SKIP LOCKED
      ),
      taken AS (
        UPDATE ${table} s SET free_at = (SELECT now FROM clock) + $3, holder = $4
        FROM pick WHERE s.scope = $1 AND s.slot = pick.slot RETURNING s.slot
      )
      SELECT (SELECT slot FROM taken) AS slot,
        (SELECT json_agg(json_build_array(s.slot, s.free_at - c.now, s.holder IS NOT NULL) ORDER BY s.free_at)
          FROM ${table} s, clock c WHERE s.scope = $1 AND s.slot < $2 AND NOT EXISTS (SELECT 1 FROM taken)) AS waits`,
    release: `UPDATE ${table} SET free_at = ${NOW} + $4, holder = NULL WHERE scope = $1 AND slot = $2 AND holder = $3`,
    /** Accounts none of whose slots was used for $1 ms are forgotten (a sandbox's port, an old account). */
    // The row's own condition is checked again on a row another process changed meanwhile (a slot
    // it just took): only a slot still free and idle is ever deleted.
    prune: `DELETE FROM ${table} WHERE holder IS NULL AND free_at < ${NOW} - $1 AND scope IN (
      SELECT scope FROM ${table} GROUP BY scope HAVING MAX(free_at) < ${NOW} - $1)`,
    pause: `UPDATE ${table} SET free_at = greatest(free_at, ${NOW} + $2) WHERE scope = $1`,
  };
}
