import { type RateBudget, RateBudgetExceeded, type RateLimit, type Release } from "./budget.js";

export type { RateLimit } from "./budget.js";

interface Waiter {
  grant: (release: Release) => void;
  refuse: (error: unknown) => void;
  deadline: number;
}

/**
 * The in-process RateBudget. MOCO counts requests per account in a window (120 per 2 minutes; 1200 on the unlimited plan).
 * A request is counted here from its start until a full window after its answer arrived: MOCO saw
 * it somewhere in between, so no window of MOCO's can hold more than `limit` of ours, however much
 * the network delays some requests and not others. Callers are served first come, first served; a
 * caller that cannot get a slot before its deadline is refused at once instead of queueing.
 */
export class RateLimiter implements RateBudget {
  /** When answered requests arrived back, ascending; each holds a slot for one window after. */
  private finished: number[] = [];
  private inFlight = 0;
  private queue: Waiter[] = [];
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly rate: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  take({ deadline, signal }: { deadline: number; signal?: AbortSignal }): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const eta = this.estimate();
    if (eta > deadline) return Promise.reject(new RateBudgetExceeded(eta - this.now()));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: resolve, refuse: reject, deadline };
      const onAbort = () => this.drop(waiter, signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      waiter.grant = (release) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(release);
      };
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** At most one window, whatever the caller asks: a single answer must not lock the server out. */
  pause(ms: number): void {
    const capped = Number.isFinite(ms) ? Math.min(Math.max(0, ms), this.rate.windowMs) : this.rate.windowMs;
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + capped);
    this.pump();
  }

  idle(): boolean {
    this.prune(this.now());
    return (
      this.queue.length === 0 &&
      this.inFlight === 0 &&
      this.finished.length === 0 &&
      this.now() >= this.pausedUntil
    );
  }

  /** When the next queued caller would start, assuming requests in flight answer right away. */
  private estimate(): number {
    const now = this.now();
    this.prune(now);
    const k = this.finished.length + this.inFlight + this.queue.length - this.rate.limit;
    if (k < 0) return Math.max(now, this.pausedUntil);
    // The k-th slot to free up: answered requests free theirs a window after the answer (oldest
    // first), those in flight at the earliest a window from now; every `limit` more waits a window.
    const index = k % this.rate.limit;
    const first = index < this.finished.length ? (this.finished[index] as number) : now;
    return Math.max(first + (Math.floor(k / this.rate.limit) + 1) * this.rate.windowMs, this.pausedUntil);
  }

  private prune(now: number): void {
    while (this.finished.length > 0 && (this.finished[0] as number) <= now - this.rate.windowMs)
      this.finished.shift();
  }

  private drop(waiter: Waiter, reason: unknown): void {
    const index = this.queue.indexOf(waiter);
    if (index === -1) return;
    this.queue.splice(index, 1);
    waiter.refuse(reason);
    this.pump();
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const now = this.now();
    this.prune(now);
    // Callers whose deadline passed while they waited give up; they are told how long it would take.
    const expired = this.queue.filter((w) => w.deadline < now);
    if (expired.length > 0) {
      this.queue = this.queue.filter((w) => w.deadline >= now);
      for (const waiter of expired) {
        waiter.refuse(new RateBudgetExceeded(Math.max(0, this.estimate() - now)));
      }
    }
    while (
      this.queue.length > 0 &&
      now >= this.pausedUntil &&
      this.finished.length + this.inFlight < this.rate.limit
    ) {
      const waiter = this.queue.shift() as Waiter;
      this.inFlight++;
      let released = false;
      waiter.grant((used = true) => {
        if (released) return;
        released = true;
        this.inFlight--;
        if (used) this.finished.push(this.now());
        if (this.queue.length > 0) this.pump();
      });
    }
    if (this.queue.length === 0) return;
    // Wake up when a pause ends, when the oldest answered request leaves the window, or when the
    // first waiter's deadline passes. Slots held by requests in flight wake the queue on release.
    const wakeups = [Math.min(...this.queue.map((w) => w.deadline)) + 1];
    if (now < this.pausedUntil) wakeups.push(this.pausedUntil);
    else if (this.finished.length > 0) wakeups.push((this.finished[0] as number) + this.rate.windowMs);
    this.timer = setTimeout(() => this.pump(), Math.max(1, Math.min(...wakeups) - now));
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
