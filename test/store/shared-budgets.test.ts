import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { SharedBudget } from "../../src/moco/shared-budget.js";
import { sharedBudgets } from "../../src/store/budget.js";
import { resolveStoreSetting } from "../../src/store/location.js";
import { postgresLocation, postgresProblem } from "../../src/store/postgres/setting.js";

const dir = mkdtempSync(join(tmpdir(), "moco-budgets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rate = { limit: 120, windowMs: 120_000 };

describe("which rate budget a store setting gives", () => {
  it("none shared for memory or off: each process keeps its own", () => {
    expect(sharedBudgets(resolveStoreSetting("memory"), rate)).toBeUndefined();
    expect(sharedBudgets(resolveStoreSetting("off"), rate)).toBeUndefined();
  });

  it("one shared budget per MOCO account for a file, the same for every client of that account", async () => {
    const budgets = sharedBudgets(resolveStoreSetting(join(dir, "store.sqlite")), rate);
    const a = budgets?.forAccount("https://a.mocoapp.com/api/v1");
    expect(a).toBeInstanceOf(SharedBudget);
    expect(a).not.toBeInstanceOf(RateLimiter);
    expect(budgets?.forAccount("https://a.mocoapp.com/api/v1")).toBe(a);
    expect(budgets?.forAccount("https://b.mocoapp.com/api/v1")).not.toBe(a);
    expect(a?.rate).toEqual(rate);
    await budgets?.close();
    await expect(a?.take({ deadline: Date.now() + 1000 })).rejects.toThrow(/closed/);
  });

  it("reads how many instances share an account from the PostgreSQL URL, and refuses a bad count", () => {
    const location = postgresLocation("postgres://h/db?schema=team&instances=4&sslmode=require");
    expect(location.instances).toBe(4);
    expect(location.url).toBe("postgres://h/db?sslmode=require");
    expect(postgresProblem(location)).toBeUndefined();
    expect(postgresLocation("postgres://h/db").instances).toBeUndefined();
    expect(postgresProblem(postgresLocation("postgres://h/db?instances=0"))).toMatch(/instances must be/);
  });
});
