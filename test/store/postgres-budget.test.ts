import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PostgresBudgetCells } from "../../src/store/postgres/budget.js";
import { postgresLocation } from "../../src/store/postgres/setting.js";
import { DATABASE_URL, dropSchema, randomSchema, skipReason, sql, storeUrl } from "./postgres-support.js";

/** The budget's table in PostgreSQL: accounts unused for a week are forgotten, and come back when used. */
const skip = await skipReason();
const schema = randomSchema();
afterAll(async () => {
  if (skip === undefined) await dropSchema(schema);
});
const opened: PostgresBudgetCells[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});
const open = () => {
  const cells = new PostgresBudgetCells(postgresLocation(storeUrl(schema)));
  opened.push(cells);
  return cells;
};
const scopes = async () =>
  (await sql<{ scope: string }>(`SELECT DISTINCT scope FROM "${schema}".budget_slots ORDER BY scope`)).map(
    (r) => r.scope,
  );

describe.skipIf(skip !== undefined)("the shared budget's slots in PostgreSQL", () => {
  it("forgets an account whose slots were unused for a week when a process connects, and keeps a recent one", async () => {
    const first = open();
    await first.take("recent", 2, 10_000, "h");
    await first.take("old", 2, 10_000, "h");
    const weekAgo = Date.now() - 8 * 24 * 3_600_000;
    await sql(`UPDATE "${schema}".budget_slots SET free_at = $1, holder = NULL WHERE scope = 'old'`, [
      weekAgo,
    ]);
    expect(await scopes()).toEqual(expect.arrayContaining(["old", "recent"]));
    await open().check();
    expect(await scopes()).toContain("recent");
    expect(await scopes()).not.toContain("old");
  });

  it("never forgets a slot another process takes while the forgetting runs", async () => {
    await open().take("race", 3, 10_000, "h");
    const weekAgo = Date.now() - 8 * 24 * 3_600_000;
    await sql(`UPDATE "${schema}".budget_slots SET free_at = $1, holder = NULL WHERE scope = 'race'`, [
      weekAgo,
    ]);
    // Another process takes slot 0 in a transaction that commits only after the pruning started.
    const taker = new pg.Client({ connectionString: DATABASE_URL });
    await taker.connect();
    try {
      await taker.query("BEGIN");
      await taker.query(
        `UPDATE "${schema}".budget_slots SET free_at = $1, holder = 'taker' WHERE scope = 'race' AND slot = 0`,
        [Date.now() + 100_000],
      );
      const pruning = open().check();
      await new Promise((r) => setTimeout(r, 500));
      await taker.query("COMMIT");
      await pruning;
    } finally {
      await taker.end();
    }
    const left = await sql<{ slot: string; holder: string }>(
      `SELECT slot, holder FROM "${schema}".budget_slots WHERE scope = 'race'`,
    );
    expect(left.map((r) => [Number(r.slot), r.holder])).toEqual([[0, "taker"]]);
  });

  it("makes an account's slots again when another process removed them", async () => {
    const cells = open();
    expect((await cells.take("gone", 2, 10_000, "a")).slot).toBe(0);
    await sql(`DELETE FROM "${schema}".budget_slots WHERE scope = 'gone'`);
    const again = await cells.take("gone", 2, 10_000, "b");
    expect(again.slot).toBe(0);
    const rows = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}".budget_slots WHERE scope = 'gone'`,
    );
    expect(Number(rows[0]?.n)).toBe(2);
  });
});
