import { describe, expect, it } from "vitest";
import { RateBudgetExceeded, RateLimiter } from "../../src/moco/rate-limit.js";

describe("rate limiter (sliding window)", () => {
  it("lets `limit` requests through at once, then none until the window slides", async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ limit: 3, windowMs: 10_000 }, () => now);
    for (let i = 0; i < 3; i++) await limiter.acquire(now);
    await expect(limiter.acquire(now + 5_000)).rejects.toBeInstanceOf(RateBudgetExceeded);
    now += 10_001;
    await expect(limiter.acquire(now)).resolves.toBeUndefined();
  });

  it("tells how long to wait when the deadline is too close", async () => {
    const now = 0;
    const limiter = new RateLimiter({ limit: 1, windowMs: 120_000 }, () => now);
    await limiter.acquire(now);
    const refusal = await limiter.acquire(now + 1_000).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(RateBudgetExceeded);
    expect((refusal as RateBudgetExceeded).retryAfterMs).toBe(120_000);
    expect((refusal as Error).message).toBe("rate budget exhausted, retry in 120 s");
  });

  it("queues callers in order and never exceeds the limit in any window", async () => {
    const limiter = new RateLimiter({ limit: 4, windowMs: 200 });
    const starts: number[] = [];
    const deadline = Date.now() + 5_000;
    await Promise.all(
      Array.from({ length: 12 }, () => limiter.acquire(deadline).then(() => starts.push(Date.now()))),
    );
    starts.sort((a, b) => a - b);
    for (let i = 4; i < starts.length; i++) {
      // the i-th start is at least one window after the (i-4)-th (timer slack of a few ms allowed)
      expect((starts[i] as number) - (starts[i - 4] as number)).toBeGreaterThanOrEqual(195);
    }
  });

  it("holds everyone back after MOCO answered 429", async () => {
    let now = 0;
    const limiter = new RateLimiter({ limit: 100, windowMs: 1_000 }, () => now);
    limiter.pause(5_000);
    await expect(limiter.acquire(now + 1_000)).rejects.toBeInstanceOf(RateBudgetExceeded);
    now = 5_000;
    await expect(limiter.acquire(now)).resolves.toBeUndefined();
  });

  it("stops waiting when the caller cancels", async () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000 });
    await limiter.acquire(Date.now() + 1_000);
    const controller = new AbortController();
    const waiting = limiter.acquire(Date.now() + 120_000, controller.signal);
    controller.abort(new Error("cancelled"));
    await expect(waiting).rejects.toThrow("cancelled");
  });
});
