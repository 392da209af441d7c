import { describe, expect, it, vi } from "vitest";
import { RateBudgetExceeded } from "../../src/moco/budget.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";

describe("rate limiter", () => {
  it("lets `limit` requests through at once, then none until a window after they were answered", async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ limit: 3, windowMs: 10_000 }, () => now);
    const releases = [
      await limiter.take({ deadline: now }),
      await limiter.take({ deadline: now }),
      await limiter.take({ deadline: now }),
    ];
    now += 2_000;
    for (const release of releases) release();
    await expect(limiter.take({ deadline: now + 5_000 })).rejects.toBeInstanceOf(RateBudgetExceeded);
    now += 10_001;
    await expect(limiter.take({ deadline: now })).resolves.toBeTypeOf("function");
  });

  it("tells how long to wait when the deadline is too close", async () => {
    const now = 0;
    const limiter = new RateLimiter({ limit: 1, windowMs: 120_000 }, () => now);
    (await limiter.take({ deadline: now }))();
    const refusal = await limiter.take({ deadline: now + 1_000 }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(RateBudgetExceeded);
    expect((refusal as RateBudgetExceeded).retryAfterMs).toBe(120_000);
    expect((refusal as Error).message).toBe("rate budget exhausted, retry in 120 s");
  });

  it("estimates several windows ahead for a long queue", async () => {
    let now = 0;
    const limiter = new RateLimiter({ limit: 2, windowMs: 1_000 }, () => now);
    (await limiter.take({ deadline: now }))();
    (await limiter.take({ deadline: now }))();
    // two finished slots free at 1 s; callers 3 and 4 start then, caller 5 a window later
    const queued = [limiter.take({ deadline: 10_000 }), limiter.take({ deadline: 10_000 })];
    const refusal = await limiter.take({ deadline: 1_500 }).catch((e: unknown) => e);
    expect((refusal as RateBudgetExceeded).retryAfterMs).toBe(2_000);
    for (const q of queued) q.catch(() => {});
    // Let the queued callers give up (their deadline passes) so no timer outlives the test.
    now = 10_001;
    await Promise.allSettled(queued.map((q) => q.then((release) => release())));
  });

  it("queues callers in order and never has more than `limit` in any window", async () => {
    const limiter = new RateLimiter({ limit: 4, windowMs: 200 });
    const spans: [number, number][] = [];
    let longestWait = 0;
    const deadline = Date.now() + 5_000;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const asked = Date.now();
        const release = await limiter.take({ deadline });
        const start = Date.now();
        longestWait = Math.max(longestWait, start - asked);
        await new Promise((r) => setTimeout(r, 10 + (i % 3) * 20)); // uneven request durations
        spans.push([start, Date.now()]);
        release();
      }),
    );
    // Any instant in a request's life counts; check each start against the requests around it.
    for (const [start] of spans) {
      const live = spans.filter(([s, end]) => s <= start && end > start - 200);
      expect(live.length).toBeLessThanOrEqual(4);
    }
    expect(longestWait).toBeGreaterThanOrEqual(190);
  });

  it("serves waiting callers first come, first served", async () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 20 });
    const deadline = Date.now() + 5_000;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const release = await limiter.take({ deadline });
        order.push(i);
        release();
      }),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("refuses a waiting caller whose deadline passes before a slot frees", async () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000 });
    const release = await limiter.take({ deadline: Date.now() + 1_000 });
    // In flight, not answered: the estimate cannot see when it will free, so the caller queues.
    const waiting = limiter.take({ deadline: Date.now() + 50 });
    await expect(waiting).rejects.toBeInstanceOf(RateBudgetExceeded);
    release();
  });

  it("does not poll while every slot is held by a request in flight", async () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 1_000 });
    const release = await limiter.take({ deadline: Date.now() + 10_000 });
    const pump = vi.spyOn(limiter as unknown as { pump: () => void }, "pump");
    const waiting = limiter.take({ deadline: Date.now() + 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(pump.mock.calls.length).toBeLessThanOrEqual(1);
    release();
    const next = await waiting;
    next();
  });

  it("holds everyone back after MOCO answered 429", async () => {
    let now = 0;
    const limiter = new RateLimiter({ limit: 100, windowMs: 10_000 }, () => now);
    limiter.pause(5_000);
    await expect(limiter.take({ deadline: now + 1_000 })).rejects.toBeInstanceOf(RateBudgetExceeded);
    now = 5_000;
    await expect(limiter.take({ deadline: now })).resolves.toBeTypeOf("function");
  });

  it("stops waiting when the caller cancels", async () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000 });
    (await limiter.take({ deadline: Date.now() + 1_000 }))();
    const controller = new AbortController();
    const waiting = limiter.take({ deadline: Date.now() + 120_000, signal: controller.signal });
    controller.abort(new Error("cancelled"));
    await expect(waiting).rejects.toThrow("cancelled");
  });
});
