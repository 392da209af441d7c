/**
 * MOCO counts requests per account in a window (120 per 2 minutes; 1200 on the unlimited plan).
 * A sliding log of request start times never sends more than `limit` within any `windowMs`,
 * which a plain token bucket with a full burst cannot promise. Callers reserve a slot in FIFO
 * order; a caller whose slot lies beyond its deadline is refused at once instead of queueing.
 */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

export class RateBudgetExceeded extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`rate budget exhausted, retry in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = "RateBudgetExceeded";
  }
}

export class RateLimiter {
  /** Start times of sent and reserved requests, ascending. */
  private slots: number[] = [];
  private pausedUntil = 0;
  maxWaitMs = 0;

  constructor(
    private readonly rate: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the caller may send; throws RateBudgetExceeded if that is after `deadline`. */
  async acquire(deadline: number, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    this.slots = this.slots.filter((t) => t > now - this.rate.windowMs);
    const oldest = this.slots[this.slots.length - this.rate.limit];
    const at = Math.max(now, this.pausedUntil, oldest === undefined ? 0 : oldest + this.rate.windowMs);
    if (at > deadline) throw new RateBudgetExceeded(at - now);
    this.slots.push(at);
    const wait = at - now;
    if (wait > this.maxWaitMs) this.maxWaitMs = wait;
    if (wait > 0) await sleep(wait, signal);
  }

  /** MOCO answered 429 anyway (another client shares the account): hold everyone back. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
