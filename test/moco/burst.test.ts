import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RateBudget } from "../../src/moco/budget.js";
import { type RateLimit, RateLimiter } from "../../src/moco/rate-limit.js";
import { type Harness, startHarness, text } from "../support/harness.js";

/**
 * 300 concurrent list/get calls under the default budget (MOCO's 120 requests per 2 minutes), with
 * the sandbox enforcing the same limit as MOCO does. The budget must keep every 429 away from MOCO;
 * calls that cannot get a slot before their deadline must fail fast with a rate-budget message.
 */
/** The client's budget, timing how long each request waited for its slot. */
function timed(rate: RateLimit): RateBudget & { longestWaitMs: number } {
  const inner = new RateLimiter(rate);
  return {
    rate,
    longestWaitMs: 0,
    async take(options) {
      const asked = Date.now();
      const release = await inner.take(options);
      this.longestWaitMs = Math.max(this.longestWaitMs, Date.now() - asked);
      return release;
    },
    pause: (ms) => inner.pause(ms),
    idle: () => inner.idle(),
  };
}

let h: Harness;
const budget = timed({ limit: 120, windowMs: 120_000 });
beforeAll(async () => {
  h = await startHarness({ sandbox: { rateLimit: budget.rate }, client: { budget } });
});
afterAll(() => h.close());

describe("a burst of 300 concurrent calls", () => {
  it("sends no request beyond the limit and answers every call clearly", async () => {
    expect(h.config.rateLimit).toEqual({ limit: 120, windowMs: 120_000 });
    const ids = h.sandbox.store.deals.slice(0, 150).map((d) => d.id);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        i % 2 === 0
          ? h.call("list_leads", { per_page: 5, page: 1 + (i % 7) })
          : h.call("get_lead", { id: ids[i % 150] }),
      ),
    );
    const elapsed = Date.now() - started;
    const ok = results.filter((r) => !r.isError);
    const refused = results.filter((r) => r.isError);
    expect(h.sandbox.stats.rateLimited).toBe(0);
    expect(h.sandbox.stats.requests).toBe(120);
    expect(ok).toHaveLength(120);
    for (const r of refused) {
      expect(text(r)).toMatch(/rate budget is exhausted \(120 requests per 120 s\); retry in \d+ s/);
      expect(JSON.parse(text(r).split("\n").at(-1) as string).error.retry_after_seconds).toBeGreaterThan(0);
    }
    // Refusals are immediate, not a wait until the deadline.
    expect(elapsed).toBeLessThan(10_000);
    console.error(
      `burst: ${results.length} calls, ${ok.length} ok, ${refused.length} refused by the budget, ` +
        `${h.sandbox.stats.rateLimited} 429s at MOCO, max wait ${budget.longestWaitMs} ms, ${elapsed} ms total`,
    );
  });
});

describe("a burst that fits within the deadline", () => {
  it("queues calls in the budget instead of provoking 429s", async () => {
    // The client's window is 100 ms longer than the sandbox's: a request counted when sent may reach
    // the sandbox later than the next one on a loaded machine (MOCO's own window is 120 s, where that
    // jitter does not matter); the property tested, queueing instead of 429s, is the same.
    const rate = { limit: 20, windowMs: 500 };
    const queued = timed({ ...rate, windowMs: 600 });
    const q = await startHarness({
      sandbox: { rateLimit: rate },
      config: { rateLimit: queued.rate },
      client: { budget: queued },
    });
    try {
      const results = await Promise.all(
        Array.from({ length: 60 }, () => q.call("list_leads", { per_page: 1 })),
      );
      expect(results.filter((r) => r.isError)).toEqual([]);
      expect(q.sandbox.stats.rateLimited).toBe(0);
      expect(queued.longestWaitMs).toBeGreaterThanOrEqual(900);
    } finally {
      await q.close();
    }
  });
});
