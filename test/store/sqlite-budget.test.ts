import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { SqliteBudgetCells } from "../../src/store/sqlite-budget.js";

/** The budget's table in a SQLite file: accounts unused for a week are forgotten, and come back when used. */
const dir = mkdtempSync(join(tmpdir(), "sqlite-budget-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, "store.sqlite");
const opened: SqliteBudgetCells[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});
const open = () => {
  const cells = new SqliteBudgetCells(file);
  opened.push(cells);
  return cells;
};
function raw<T>(work: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(file);
  try {
    return work(db);
  } finally {
    db.close();
  }
}
const scopes = () =>
  raw((db) => db.prepare("SELECT DISTINCT scope FROM budget_slots ORDER BY scope").all()).map((r) => r.scope);

describe("the shared budget's slots in a SQLite file", () => {
  it("forgets an account whose slots were unused for a week when a process opens the file, and keeps a recent one", async () => {
    const first = open();
    await first.take("recent", 2, 10_000, "h");
    await first.take("old", 2, 10_000, "h");
    const weekAgo = Date.now() - 8 * 24 * 3_600_000;
    raw((db) =>
      db.prepare("UPDATE budget_slots SET free_at = ?, holder = NULL WHERE scope = 'old'").run(weekAgo),
    );
    expect(scopes()).toEqual(expect.arrayContaining(["old", "recent"]));
    await open().check();
    expect(scopes()).toContain("recent");
    expect(scopes()).not.toContain("old");
  });

  it("creates the file as the lead store does, so the lead store can still return freed pages", async () => {
    const fresh = join(dir, "fresh.sqlite");
    const cells = new SqliteBudgetCells(fresh);
    opened.push(cells);
    await cells.check();
    const db = new DatabaseSync(fresh);
    try {
      expect(db.prepare("PRAGMA auto_vacuum").get()).toEqual({ auto_vacuum: 2 });
      expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    } finally {
      db.close();
    }
  });

  it("makes an account's slots again when another process removed them", async () => {
    const cells = open();
    expect((await cells.take("gone", 2, 10_000, "a")).slot).toBe(0);
    raw((db) => db.prepare("DELETE FROM budget_slots WHERE scope = 'gone'").run());
    const again = await cells.take("gone", 2, 10_000, "b");
    expect(again.slot).toBe(0);
    const rows = raw((db) =>
      db.prepare("SELECT count(*) AS n FROM budget_slots WHERE scope = 'gone'").get(),
    ) as {
      n: number;
    };
    expect(Number(rows.n)).toBe(2);
  });
});
