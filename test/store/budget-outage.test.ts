import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLogLevel } from "../../src/log.js";
import { RateBudgetExceeded, type Release } from "../../src/moco/budget.js";
import { SharedBudget } from "../../src/moco/shared-budget.js";
import { PostgresBudgetCells } from "../../src/store/postgres/budget.js";
import { postgresLocation } from "../../src/store/postgres/setting.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "./postgres-support.js";
import { startProxy, type TcpProxy } from "./tcp-proxy.js";

/**
 * The shared budget while its database cannot be reached: a local share, said once in the log, and
 * the store again once it answers. The database is reached through a TCP proxy the test cuts.
 */
const skip = await skipReason();
const schema = randomSchema();
afterAll(async () => {
  if (skip === undefined) await dropSchema(schema);
});

let stderr: string[] = [];
beforeEach(() => {
  stderr = [];
  setLogLevel("info");
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  setLogLevel("error");
});
const lines = (text: string) => stderr.filter((line) => line.includes(text));

/** A URL of the test database reached at 127.0.0.1:`port`. */
function through(port: number): string {
  const url = new URL(storeUrl(schema));
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return url.toString();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(20);
}

describe.skipIf(skip !== undefined)("the shared rate budget when its database fails", () => {
  const rate = { limit: 20, windowMs: 1500 };
  let proxy: TcpProxy | undefined;
  const opened: { cells: PostgresBudgetCells; budget: SharedBudget }[] = [];
  const open = (url: string, scope: string) => {
    const cells = new PostgresBudgetCells(postgresLocation(url));
    const budget = new SharedBudget({
      rate,
      cells,
      scope,
      instances: 2,
      retryMs: 200,
      timeoutMs: 1000,
      pollMs: 50,
    });
    opened.push({ cells, budget });
    return budget;
  };
  afterEach(async () => {
    for (const { budget, cells } of opened.splice(0)) {
      budget.close();
      await cells.close();
    }
    await proxy?.close();
  });

  it("keeps to limit / instances per window, says so once, and goes back to the store once it answers", async () => {
    const target = new URL(storeUrl(schema));
    proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const budget = open(through(proxy.port), "outage");
    for (let i = 0; i < 5; i++) (await budget.take({ deadline: Date.now() + 2000 }))();
    expect(budget.state).toBe("shared");

    await proxy.cut();
    // The first window after the failure sends nothing: what went through the store may still be in MOCO's.
    const first = await budget.take({ deadline: Date.now() + 500 }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RateBudgetExceeded);
    expect((first as RateBudgetExceeded).retryAfterMs).toBeGreaterThan(1000);
    // Held back, not spent: the refusal says why, never "exhausted".
    expect((first as RateBudgetExceeded).why).toMatch(
      /^limited to this instance's own share: the store .* cannot be reached, so it keeps to 10 requests per 1.5 s, and none in the first window/,
    );
    expect((first as Error).message).not.toContain("exhausted");
    expect(budget.state).toBe("local");

    // Then at most 10 (20 / 2 instances) in any window; every other caller is refused, none hangs.
    const granted: number[] = [];
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () =>
        budget.take({ deadline: Date.now() + 3500 }).then(
          (release: Release) => {
            granted.push(Date.now());
            release();
            return "granted";
          },
          (error: unknown) => error,
        ),
      ),
    );
    for (const o of outcomes) if (o !== "granted") expect(o).toBeInstanceOf(RateBudgetExceeded);
    expect(granted.length).toBeGreaterThanOrEqual(10);
    expect(granted.length).toBeLessThanOrEqual(20);
    const busiest = Math.max(
      ...granted.map((t) => granted.filter((u) => u >= t && u < t + rate.windowMs).length),
    );
    expect(busiest).toBeLessThanOrEqual(10);
    console.log(
      `outage: ${granted.length} of 30 callers served in 3.5 s (at most ${busiest} per ${rate.windowMs} ms window, share 10 of 20), the rest refused by the budget`,
    );
    const warned = lines("shared store cannot be reached");
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain("keeps to 10 requests per 1.5 s");

    await proxy.restore();
    await until(() => budget.state !== "local", 3000);
    expect(budget.state).toBe("recovering");
    expect(lines("the shared store answers again;")).toHaveLength(1);
    // Requests go through the store again (and, until the local ones left the window, the local share too).
    await until(() => budget.state === "shared", 5000);
    expect(budget.state).toBe("shared");
    const again = await budget.take({ deadline: Date.now() + 2000 });
    again();
    expect(lines("shared store cannot be reached")).toHaveLength(1);
  }, 20_000);

  it("takes a database that stopped answering for one that is gone, after `timeoutMs`", async () => {
    const target = new URL(storeUrl(schema));
    proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const cells = new PostgresBudgetCells(postgresLocation(through(proxy.port)));
    const budget = new SharedBudget({
      rate,
      cells,
      scope: "stalled",
      instances: 2,
      retryMs: 200,
      timeoutMs: 500,
    });
    opened.push({ cells, budget });
    (await budget.take({ deadline: Date.now() + 2000 }))();
    proxy.stall();
    const started = Date.now();
    // Half a second without an answer, then the local share, which first sits out a window.
    const refused = await budget.take({ deadline: Date.now() + 1200 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateBudgetExceeded);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(budget.state).toBe("local");
    expect(lines("shared store cannot be reached")[0]).toContain("no answer within 500 ms");
    await proxy.restore();
    await until(() => budget.state !== "local", 8000);
    expect(budget.state).toBe("recovering");
  }, 20_000);

  it("starts on the local share at once when the database was never there, naming why", async () => {
    const budget = open(through(1), "nowhere");
    const granted: number[] = [];
    const outcomes = await Promise.all(
      Array.from({ length: 15 }, () =>
        budget.take({ deadline: Date.now() + 500 }).then(
          (release: Release) => {
            granted.push(Date.now());
            release();
            return "granted";
          },
          (error: unknown) => error,
        ),
      ),
    );
    // Nothing went through the store from here, so nothing needs to leave MOCO's window first.
    expect(granted).toHaveLength(10);
    expect(outcomes.filter((o) => o !== "granted").every((o) => o instanceof RateBudgetExceeded)).toBe(true);
    expect(budget.state).toBe("local");
    const warned = lines("shared store cannot be reached");
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/ECONNREFUSED/);
    expect(warned[0]).not.toContain("starting in");
  });
});
