// A sliding-window request limit like MOCO's (120 requests per 2 minutes per account). Only requests that
// were let through count, so a client that waits one window after a 429 is certain to get through again.

export class SlidingWindow {
  private readonly accepted: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records the request and returns true if it is within the limit; false means answer 429. */
  tryAcquire(now: number = performance.now()): boolean {
    while (this.accepted.length > 0 && (this.accepted[0] ?? 0) <= now - this.windowMs) this.accepted.shift();
    if (this.accepted.length >= this.limit) return false;
    this.accepted.push(now);
    return true;
  }
}
