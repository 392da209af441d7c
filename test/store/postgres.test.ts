import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLogLevel } from "../../src/log.js";
import { openStore, resolveStoreSetting } from "../../src/store/index.js";
import { SCHEMA_VERSION } from "../../src/store/migrations.js";
import type { LeadStore, StoreLocation } from "../../src/store/types.js";
import { dropSchema, randomSchema, skipReason, sql, storeUrl } from "./postgres-support.js";

/** What only the PostgreSQL store does: migrations under a lock, its own schema, a bounded pool. */
const skip = await skipReason();
const schemas: string[] = [];
const stores: LeadStore[] = [];
let stderr: string[] = [];

beforeEach(() => {
  stderr = [];
  setLogLevel("info");
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  setLogLevel("error");
  for (const s of stores.splice(0)) await s.close();
});
afterAll(async () => {
  if (skip === undefined) for (const s of schemas) await dropSchema(s);
});

function schema(prefix?: string): string {
  const name = randomSchema(prefix);
  schemas.push(name);
  return name;
}
async function open(url: string): Promise<LeadStore> {
  const store = await openStore(resolveStoreSetting(url) as StoreLocation);
  stores.push(store);
  return store;
}
const tables = (name: string) =>
  sql<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
    [name],
  ).then((rows) => rows.map((r) => r.table_name));

describe.skipIf(skip !== undefined)("PostgreSQL store", () => {
  it("three instances starting at once on a fresh schema: one migrates, all work", async () => {
    const name = schema();
    const three = await Promise.all([1, 2, 3].map(() => open(storeUrl(name))));
    for (const store of three) expect(store.available, store.problem).toBe(true);
    const migrated = stderr.filter((line) => line.includes(`schema "${name}" migrated`));
    expect(migrated).toHaveLength(1);
    expect(migrated[0]).toContain(`from version 0 to ${SCHEMA_VERSION}`);
    expect(await sql(`SELECT key, value FROM "${name}".meta`)).toEqual([
      { key: "schema_version", value: String(SCHEMA_VERSION) },
    ]);
    // Each sees what another wrote.
    const [a, b, c] = three as [LeadStore, LeadStore, LeadStore];
    const row = await a.ensureScope("s", "https://x");
    await b.commit("s", {
      expectedVersion: row.version,
      upserts: [{ id: 1, updatedAt: "2026-01-01T00:00:00.000Z", body: () => "{}" }],
      deletes: [],
      changes: [],
    });
    expect((await c.loadLeads("s")).map((l) => l.id)).toEqual([1]);
    expect((await c.getScope("s"))?.version).toBe(row.version + 1);
    // A fourth start later applies nothing.
    stderr = [];
    expect((await open(storeUrl(name))).available).toBe(true);
    expect(stderr.filter((line) => line.includes("migrated"))).toEqual([]);
  });

  it("keeps every table in its own schema, quoted (a mixed-case name stays as written)", async () => {
    const name = schema("Moco_Mixed");
    const store = await open(storeUrl(name));
    expect(store.available, store.problem).toBe(true);
    expect(await tables(name)).toEqual([
      "changes",
      "leads",
      "meta",
      "removed_leads",
      "scopes",
      "spent_tokens",
      "stage_leads",
      "stage_scans",
    ]);
    expect(await tables(name.toLowerCase())).toEqual([]);
    expect(store.where).toContain(`schema "${name}"`);
  });

  it("uses a schema an administrator created beforehand", async () => {
    const name = schema();
    await sql(`CREATE SCHEMA "${name}"`);
    const store = await open(storeUrl(name));
    expect(store.available, store.problem).toBe(true);
    expect(await tables(name)).toContain("leads");
  });

  it("refuses a schema written by a newer version (unavailable, not rewritten)", async () => {
    const name = schema();
    await (await open(storeUrl(name))).close();
    await sql(`UPDATE "${name}".meta SET value = '999' WHERE key = 'schema_version'`);
    const store = await open(storeUrl(name));
    expect(store.available).toBe(false);
    expect(store.problem).toMatch(/schema version 999 is newer/);
    expect(await sql(`SELECT value FROM "${name}".meta`)).toEqual([{ value: "999" }]);
  });

  it("never opens more connections than pool_max", async () => {
    const name = schema();
    const store = await open(storeUrl(name, { pool_max: "2" }));
    await store.ensureScope("s", "https://x");
    const counts: number[] = [];
    const watch = async () => {
      for (let i = 0; i < 20; i++) {
        const [row] = await sql<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1",
          [`moco-leads-mcp/${name}`],
        );
        counts.push(Number(row?.n));
      }
    };
    await Promise.all([watch(), ...Array.from({ length: 40 }, () => store.describe())]);
    expect(Math.max(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
  });

  it("a bad schema name or pool size: unavailable with the reason, nothing created", async () => {
    const bad = await open(storeUrl('x"; DROP TABLE y; --'));
    expect(bad.available).toBe(false);
    expect(bad.problem).toMatch(/schema .* is not a name of letters, digits and _/);
    const pool = await open(storeUrl(schema(), { pool_max: "0" }));
    expect(pool.problem).toMatch(/pool_max must be a whole number from 1 to 1000/);
  });
});
