import { log, registerSecret } from "../../log.js";
import type { LeadStore } from "../types.js";
import { migrate } from "./migrate.js";
import { describePostgres, type PostgresLocation, postgresProblem } from "./setting.js";
import { PostgresStore } from "./store.js";

/** How long to wait for a connection (at open and from a busy pool) before the store counts as failed. */
const CONNECT_TIMEOUT_MS = 5000;
/** A statement that runs (or waits for a lock) longer than this fails, and the store with it. */
const STATEMENT_TIMEOUT_MS = 60_000;

/**
 * Opens the PostgreSQL store: a pool of at most `poolMax` connections, then the schema migrated under
 * an advisory lock. Never throws: a server that cannot be reached, a refused login or a bad setting
 * gives a store with available = false and one warning. The driver is imported here, so only a server
 * configured for PostgreSQL loads it.
 */
export async function openPostgresStore(location: PostgresLocation): Promise<LeadStore> {
  const store = new PostgresStore(describePostgres(location), location.schema);
  try {
    const problem = postgresProblem(location);
    if (problem) throw new Error(problem);
    const { default: pg } = await import("pg");
    registerSecret(process.env.PGPASSWORD);
    registerSecret(safeDecode(new URL(location.url).password));
    const pool = new pg.Pool({
      connectionString: location.url,
      max: location.poolMax,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      // A database that stopped answering (a network path that drops packets) never sends the server's
      // timeout: the driver gives up a little after it, and the store turns unavailable as when cut.
      query_timeout: STATEMENT_TIMEOUT_MS + 5000,
      keepAlive: true,
      // Names this deployment's connections in pg_stat_activity (at most 63 bytes are kept).
      application_name: `moco-leads-mcp/${location.schema}`,
    });
    // A connection lost while idle is dropped by the pool; the next statement decides whether the
    // store still works. Without a listener the error would end the process.
    pool.on("error", (error) =>
      log("debug", `lead store: an idle PostgreSQL connection failed (${error.message})`),
    );
    store.attach(pool);
    await migrate(pool, location.schema);
  } catch (error) {
    store.markFailed(error);
  }
  return store;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
