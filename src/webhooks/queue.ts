/**
 * Deliveries are answered at once and applied after: MOCO wants a 2xx within 10 s, and a sync holding
 * the mirror's lock may take longer. The queue is bounded (`offer` says false past `cap`, and the
 * endpoint answers 503, so MOCO sends it again later) and keeps order per key (the lead): two
 * deliveries for one lead are applied in the order they arrived, different leads independently.
 */
export class HookQueue {
  private readonly chains = new Map<number | string, Promise<void>>();
  private pending = 0;
  private drained: (() => void)[] = [];

  constructor(
    readonly cap: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Queued and not yet applied. */
  get size(): number {
    return this.pending;
  }

  /** Queues `work` behind earlier work of the same key; false (nothing queued) when full. */
  offer(key: number | string, work: () => Promise<void>): boolean {
    if (this.pending >= this.cap) return false;
    this.pending++;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch(this.onError)
      .finally(() => {
        this.pending--;
        if (this.chains.get(key) === next) this.chains.delete(key);
        if (this.pending === 0) for (const resolve of this.drained.splice(0)) resolve();
      });
    this.chains.set(key, next);
    return true;
  }

  /** Resolves once everything queued so far (and since) is applied. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }
}
