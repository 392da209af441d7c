import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * The PostgreSQL the tests use: MOCO_TEST_DATABASE_URL, else the local default. Unreachable: on a
 * developer's machine the PostgreSQL tests are skipped with one line saying why; with CI=true they fail.
 */
export const DATABASE_URL = process.env.MOCO_TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

/** Why the database cannot be used, or undefined when it answers. */
export async function unreachable(url = DATABASE_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    const e = error as Error & { errors?: Error[]; code?: string };
    return e.message || e.errors?.[0]?.message || e.code || String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** undefined when the tests can run; the reason to skip otherwise. Throws under CI=true instead. */
export async function skipReason(): Promise<string | undefined> {
  const reason = await unreachable();
  if (reason === undefined) return undefined;
  const where = new URL(DATABASE_URL);
  const line = `PostgreSQL at ${where.host}${where.pathname} cannot be reached (${reason}); set MOCO_TEST_DATABASE_URL`;
  if (process.env.CI === "true")
    throw new Error(`${line} — CI=true, so the PostgreSQL tests fail instead of skipping`);
  console.log(`skipping the PostgreSQL store tests: ${line}`);
  return line;
}

/** A schema name of its own for one test file (or one test). */
export const randomSchema = (prefix = "moco_test") => `${prefix}_${randomBytes(6).toString("hex")}`;

/** The store setting's URL for `schema` (and other parameters of ours). */
export function storeUrl(schema: string, params: Record<string, string> = {}): string {
  const url = new URL(DATABASE_URL);
  url.searchParams.set("schema", schema);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** Runs statements on the test database outside any store. */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema.replaceAll('"', '""')}" CASCADE`);
}
