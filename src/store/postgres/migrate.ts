import type { Pool, PoolClient } from "pg";
import { log } from "../../log.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../migrations.js";
import { quoteIdent } from "./setting.js";

/**
 * Brings one deployment's schema to SCHEMA_VERSION, running the same migrations as SQLite, as written,
 * in one transaction. Several instances of a team server start at once: each takes a transaction-level
 * advisory lock named after the schema first, so exactly one of them creates or upgrades the tables and
 * the others, once it committed, find the current version and apply nothing. Returns how many
 * migrations this call applied.
 */
export async function migrate(pool: Pool, schema: string): Promise<number> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    const { from, applied } = await migrateLocked(client, schema);
    await client.query("COMMIT");
    if (applied > 0)
      log(
        "info",
        `lead store: schema ${quoteIdent(schema)} migrated from version ${from} to ${SCHEMA_VERSION}`,
      );
    return applied;
  } catch (error) {
    broken = true;
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release(broken);
  }
}

async function migrateLocked(client: PoolClient, schema: string): Promise<{ from: number; applied: number }> {
  const name = quoteIdent(schema);
  await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`moco-leads-mcp schema ${schema}`]);
  // Asked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE right even when the schema exists, and a
  // database administrator may have created it for a role without that right.
  const exists = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
  if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${name}`);
  await client.query(`SET LOCAL search_path TO ${name}`);
  await client.query("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const row = await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'");
  const current = row.rows[0] ? Number(row.rows[0].value) : 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(`its schema version ${current} is newer than this server's ${SCHEMA_VERSION}`);
  }
  let applied = 0;
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    for (const sql of migration.statements) await client.query(sql);
    applied++;
  }
  if (applied === 0) return { from: current, applied };
  await client.query(
    `INSERT INTO meta (key, value) VALUES ('schema_version', $1)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [String(SCHEMA_VERSION)],
  );
  return { from: current, applied };
}
