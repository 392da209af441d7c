import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type BudgetCells, RateBudgetExceeded, type Release } from "../../src/moco/budget.js";
import { MocoClient } from "../../src/moco/client.js";
import { MocoError } from "../../src/moco/errors.js";
import { SharedBudget } from "../../src/moco/shared-budget.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";

/**
 * The shared rate budget's behaviour, the same on every store: `open` gives a new connection to one
 * store each time (as each process has its own). Each test uses a scope of its own.
 */
export function describeBudget(name: string, open: () => BudgetCells, options: { skip?: string } = {}) {
  describe.skipIf(options.skip !== undefined)(`the shared MOCO rate budget on ${name}`, () => {
    const opened: BudgetCells[] = [];
    const budgets: SharedBudget[] = [];
    const sandboxes: Sandbox[] = [];
    const cells = () => {
      const c = open();
      opened.push(c);
      return c;
    };
    const budget = (c: BudgetCells, scope: string, limit: number, windowMs: number) => {
      const b = new SharedBudget({ rate: { limit, windowMs }, cells: c, scope, pollMs: 50 });
      budgets.push(b);
      return b;
    };
    afterEach(async () => {
      for (const b of budgets.splice(0)) b.close();
      await Promise.all(opened.splice(0).map((c) => c.close()));
      await Promise.all(sandboxes.splice(0).map((s) => s.close()));
    });

    it("hands out each of `limit` slots once, then none, and tells when each frees", async () => {
      const c = cells();
      const scope = randomUUID();
      const slots = [];
      for (let i = 0; i < 3; i++) slots.push((await c.take(scope, 3, 10_000, `h${i}`)).slot);
      expect(slots.sort()).toEqual([0, 1, 2]);
      const none = await c.take(scope, 3, 10_000, "h3");
      expect(none.slot).toBeUndefined();
      expect(none.waits).toHaveLength(3);
      for (const w of none.waits) {
        expect(w.held).toBe(true);
        expect(w.ms).toBeGreaterThan(9000);
        expect(w.ms).toBeLessThanOrEqual(10_000);
      }
    });

    it("never gives one slot to two connections taking at once", async () => {
      const [a, b] = [cells(), cells()];
      const scope = randomUUID();
      const takes = Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).take(scope, 4, 10_000, `h${i}`));
      const granted = (await Promise.all(takes)).map((t) => t.slot).filter((s) => s !== undefined);
      expect(granted.sort()).toEqual([0, 1, 2, 3]);
    });

    it("frees a released slot a window after the answer, at once when nothing was sent, and only for its holder", async () => {
      const c = cells();
      const scope = randomUUID();
      const first = await c.take(scope, 1, 10_000, "mine");
      expect(first.slot).toBe(0);
      await c.release(scope, 0, "someone else", 0);
      expect((await c.take(scope, 1, 10_000, "other")).slot).toBeUndefined();
      await c.release(scope, 0, "mine", 0);
      expect((await c.take(scope, 1, 10_000, "again")).slot).toBe(0);
      await c.release(scope, 0, "again", 1000);
      const held = await c.take(scope, 1, 10_000, "late");
      expect(held.slot).toBeUndefined();
      expect(held.waits[0]?.held).toBe(false);
      expect(held.waits[0]?.ms).toBeGreaterThan(500);
      expect(held.waits[0]?.ms).toBeLessThanOrEqual(1000);
      await new Promise((r) => setTimeout(r, 1050));
      expect((await c.take(scope, 1, 10_000, "late")).slot).toBe(0);
    });

    it("frees a slot never released once its lease ends (its process died)", async () => {
      const c = cells();
      const scope = randomUUID();
      expect((await c.take(scope, 1, 1000, "dead")).slot).toBe(0);
      expect((await c.take(scope, 1, 1000, "alive")).slot).toBeUndefined();
      await new Promise((r) => setTimeout(r, 1050));
      expect((await c.take(scope, 1, 1000, "alive")).slot).toBe(0);
    });

    it("holds every slot of the account back after a pause (MOCO answered 429)", async () => {
      const [a, b] = [cells(), cells()];
      const scope = randomUUID();
      await a.take(scope, 2, 10_000, "x").then(({ slot }) => a.release(scope, slot as number, "x", 0));
      await a.pause(scope, 3000);
      const paused = await b.take(scope, 2, 10_000, "y");
      expect(paused.slot).toBeUndefined();
      expect(Math.min(...paused.waits.map((w) => w.ms))).toBeGreaterThan(1500);
      // Another account is not held back.
      expect((await b.take(randomUUID(), 2, 10_000, "z")).slot).toBe(0);
    });

    it("serves the callers of one process first come, first served", async () => {
      const b = budget(cells(), randomUUID(), 2, 300);
      const held = [
        await b.take({ deadline: Date.now() + 5000 }),
        await b.take({ deadline: Date.now() + 5000 }),
      ];
      const order: string[] = [];
      const waiting = ["a", "b", "c", "d"].map((id) =>
        b.take({ deadline: Date.now() + 5000 }).then((release: Release) => {
          order.push(id);
          release();
        }),
      );
      for (const release of held) release();
      await Promise.all(waiting);
      expect(order).toEqual(["a", "b", "c", "d"]);
    });

    it("refuses at once a caller whose slot comes after its deadline, saying when to retry", async () => {
      const b = budget(cells(), randomUUID(), 2, 5000);
      for (let i = 0; i < 2; i++) (await b.take({ deadline: Date.now() + 1000 }))();
      const started = Date.now();
      const refused = await b.take({ deadline: Date.now() + 1000 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RateBudgetExceeded);
      expect(Date.now() - started).toBeLessThan(200);
      expect((refused as RateBudgetExceeded).retryAfterMs).toBeGreaterThan(4000);
      expect(b.idle()).toBe(true);
    });

    it("stays on the store when a release fails: the slot stays held until its lease ends", async () => {
      const real = cells();
      const failing: BudgetCells = {
        take: (...args) => real.take(...args),
        release: async () => {
          throw new Error("release lost");
        },
        pause: (...args) => real.pause(...args),
        check: () => real.check(),
        close: () => real.close(),
      };
      const b = budget(failing, randomUUID(), 1, 300);
      (await b.take({ deadline: Date.now() + 1000 }))();
      expect(b.state).toBe("shared");
      // The slot was never freed: the next caller waits for its lease, so is refused before its deadline.
      const refused = await b.take({ deadline: Date.now() + 1000 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RateBudgetExceeded);
      expect(b.state).toBe("shared");
    });

    it("lets three processes together send MOCO no more than its limit in any window", async () => {
      const limit = 20;
      const windowMs = 2000;
      const sandbox = await startSandbox({ apiKey: "k", rateLimit: { limit, windowMs } });
      sandboxes.push(sandbox);
      const arrivals = recordArrivals(sandbox);
      const scope = randomUUID();
      const clients = [0, 1, 2].map(
        () =>
          new MocoClient({
            baseUrl: sandbox.url,
            apiKey: "k",
            userAgent: "test",
            requestTimeoutMs: 5000,
            budget: budget(cells(), scope, limit, windowMs),
          }),
      );
      // 3 × 20 calls at once: three windows' worth; each call may wait up to 12 s.
      const deadline = Date.now() + 12_000;
      const calls = clients.flatMap((client) =>
        Array.from({ length: 20 }, () =>
          client.get("/deal_categories", { deadline }).then(
            () => "answered",
            (error: unknown) => error,
          ),
        ),
      );
      const outcomes = await Promise.all(calls);
      await Promise.all(clients.map((c) => c.close()));
      for (const o of outcomes) {
        if (o !== "answered") {
          expect(o).toBeInstanceOf(MocoError);
          expect((o as MocoError).message).toMatch(/rate budget/);
        }
      }
      expect(outcomes.filter((o) => o === "answered").length).toBeGreaterThanOrEqual(40);
      // Every budget stayed on the store (a local share would not be counted there).
      expect(budgets.map((b) => b.state)).toEqual(["shared", "shared", "shared"]);
      expect(sandbox.stats.rateLimited).toBe(0);
      const busiest = maxInWindow(arrivals, windowMs);
      expect(busiest).toBeLessThanOrEqual(limit);
      console.log(
        `${name}: 3 clients, ${outcomes.length} calls, ${arrivals.length} reached the sandbox, at most ${busiest} in any ${windowMs} ms window (limit ${limit}), ${sandbox.stats.rateLimited} × 429`,
      );
    }, 30_000);
  });
}

/** When each request reached the sandbox (ms, monotonic). */
export function recordArrivals(sandbox: Sandbox): number[] {
  const arrivals: number[] = [];
  const push = sandbox.requests.push.bind(sandbox.requests);
  sandbox.requests.push = (...items) => {
    for (const _ of items) arrivals.push(performance.now());
    return push(...items);
  };
  return arrivals;
}

/** The most arrivals in any window of `windowMs` (half-open, as the sandbox counts). */
export function maxInWindow(arrivals: readonly number[], windowMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
