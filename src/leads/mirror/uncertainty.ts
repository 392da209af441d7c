import type { MocoClient, PendingWrite } from "../../moco/client.js";

/**
 * Writes of one scope whose outcome is unknown (a create whose answer was lost, …): while one is not
 * covered by a sync that began after it, the mirror may lack a lead MOCO has, and the next read syncs
 * whatever the freshness window says. Every client of the scope tells of its uncertain writes.
 */
export class Uncertainty {
  /** Uncertain writes reported so far (counted). */
  private unsure = 0;
  /** How many of them a sync that began after them has covered. */
  private settled = 0;
  private readonly watching = new Map<MocoClient, () => void>();
  /** The latest uncertain write a client had before it was watched (ms; 0: none). */
  private uncertainAt = 0;
  private readonly onUncertain: () => unknown;
  /** The writes a watched client told of (so the registry does not report them a second time). */
  private readonly told = new WeakSet<PendingWrite>();

  /**
   * `onUncertain` is told of each uncertain write a watched client reports (the client waits for the
   * promise it may return); default: markUnsure().
   */
  constructor(onUncertain?: () => unknown) {
    this.onUncertain = onUncertain ?? (() => this.markUnsure());
  }

  /** A write may have been carried out without a usable answer. */
  markUnsure(): void {
    this.unsure++;
  }

  /** Listens to `moco`'s uncertain writes (once per client). */
  watch(moco: MocoClient): void {
    if (this.watching.has(moco)) return;
    this.watching.set(
      moco,
      moco.onUncertainWrite((write) => {
        this.told.add(write);
        return this.onUncertain();
      }),
    );
    // A write of unknown outcome before this mirror listened (its first use came after it): a copy
    // synced before it must sync again, whatever the freshness window says.
    this.uncertainAt = Math.max(this.uncertainAt, moco.lastUncertainAt ?? 0);
  }

  /** Whether a watched client told of `write`. */
  heard(write: PendingWrite): boolean {
    return this.told.has(write);
  }

  /** `moco` replaces the clients watched so far (let go idle, no write in flight): only it is watched. */
  useClient(moco: MocoClient): void {
    for (const [old, stop] of this.watching) {
      if (old === moco) continue;
      stop();
      this.watching.delete(old);
    }
    this.watch(moco);
  }

  /** Stops listening to every client. */
  release(): void {
    for (const stop of this.watching.values()) stop();
    this.watching.clear();
  }

  /** Taken before a sync's first request: the uncertain writes that sync will cover. */
  mark(): number {
    return this.unsure;
  }

  /** A sync that began at `mark` committed: the writes reported before it are covered. */
  settle(mark: number): void {
    this.settled = Math.max(this.settled, mark);
  }

  /** An uncertain write is not yet covered by a sync that began after it. */
  get pending(): boolean {
    return this.unsure > this.settled;
  }

  /** Whether a copy synced at `syncedMs` (NaN: never) may lack what an uncertain write did. */
  behind(syncedMs: number): boolean {
    return this.pending || !(syncedMs > this.uncertainAt);
  }
}
