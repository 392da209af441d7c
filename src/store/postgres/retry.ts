/** How soon a lost store is tried again, and the longest wait between tries. */
const FIRST_WAIT_MS = 1000;
const LONGEST_WAIT_MS = 10_000;

/**
 * When a store that was lost is tried again: only when asked (its next use, a readiness check), at
 * most one try at a time, the first a second after the loss and each further one twice as late, up to
 * every 10 s. So a database that stays away costs one connection attempt every few seconds, never a
 * busy loop, and no timer runs while nobody asks.
 */
export class Retry {
  private dueAt = 0;
  private waitMs = FIRST_WAIT_MS;
  private trying: Promise<boolean> | undefined;

  constructor(
    private readonly attempt: () => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The store was lost just now: the first try is due a moment later. */
  lost(): void {
    this.waitMs = FIRST_WAIT_MS;
    this.dueAt = this.now() + this.waitMs;
  }

  /** Tries once when a try is due (or joins the one under way): true when it succeeded. Never throws. */
  tryAgain(): Promise<boolean> {
    if (this.trying) return this.trying;
    if (this.now() < this.dueAt) return Promise.resolve(false);
    const trying = this.attempt().then(
      () => true,
      () => {
        this.waitMs = Math.min(this.waitMs * 2, LONGEST_WAIT_MS);
        this.dueAt = this.now() + this.waitMs;
        return false;
      },
    );
    this.trying = trying;
    void trying.finally(() => {
      if (this.trying === trying) this.trying = undefined;
    });
    return trying;
  }
}
