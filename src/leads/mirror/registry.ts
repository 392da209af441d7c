import type { MocoClient, PendingWrite } from "../../moco/client.js";
import { within } from "../../moco/within.js";
import { LeadMirror, type MirrorOptions, REPORT_WAIT_MS } from "./mirror.js";

/**
 * One mirror per credential scope, for servers that serve several keys (per-request credentials,
 * OAuth). At most `maxLoaded` are held in memory, the least recently used let go first (its data stays
 * in the store and is loaded again when its key returns), so a team server does not grow with every key.
 */
const READY_CACHE_MS = 1000;

export class MirrorRegistry {
  private readonly mirrors = new Map<string, LeadMirror>();
  private readonly maxLoaded: number;
  private readiness: { at: number; answer: Promise<string | undefined> } | undefined;

  constructor(private readonly defaults: Omit<MirrorOptions, "moco"> & { maxLoaded?: number }) {
    this.maxLoaded = defaults.maxLoaded ?? 20;
  }

  /** The mirror of the credentials `moco` speaks for (its scope), without ever seeing the key. */
  forClient(moco: MocoClient): LeadMirror {
    let mirror = this.mirrors.get(moco.scope);
    if (mirror) {
      mirror.useClient(moco);
      this.mirrors.delete(moco.scope); // re-inserted below: a Map iterates oldest first
    } else {
      mirror = new LeadMirror({ ...this.defaults, moco });
      // Let go, not closed: a sync it is running still finishes and commits; then it is garbage
      // (released from its clients, which would otherwise hold it).
      while (this.mirrors.size >= this.maxLoaded) {
        const oldest = this.mirrors.keys().next().value as string;
        this.mirrors.get(oldest)?.release();
        this.mirrors.delete(oldest);
      }
    }
    this.mirrors.set(moco.scope, mirror);
    return mirror;
  }

  /**
   * A write of unknown outcome by `moco`, whose mirror may not be loaded (its first call was the write,
   * or the registry let it go): counted in the store all the same, so that every instance sharing it
   * syncs before it answers. One its loaded mirror heard, that mirror reported. Waits at most ~2 s.
   */
  async uncertain(moco: MocoClient, write: PendingWrite): Promise<void> {
    const mirror = this.mirrors.get(moco.scope);
    if (mirror) {
      if (!mirror.heard(write)) await mirror.markUnsure();
      return;
    }
    // Not taken: this process has no copy of the scope loaded, and one loaded later sees the client's
    // lastUncertainAt (Uncertainty.watch).
    const { store } = this.defaults;
    if (store.available) await within(store.markUnsure(moco.scope), REPORT_WAIT_MS).catch(() => false);
  }

  /**
   * Whether the store answers (undefined) or a short reason why not (LeadStore.ready), asked of the
   * store at most once a second however often this is called.
   */
  ready(): Promise<string | undefined> {
    const now = Date.now();
    if (!this.readiness || now - this.readiness.at >= READY_CACHE_MS)
      this.readiness = { at: now, answer: this.defaults.store.ready() };
    return this.readiness.answer;
  }

  /** How many mirrors are held in memory now. */
  get loaded(): number {
    return this.mirrors.size;
  }

  close(): void {
    for (const mirror of this.mirrors.values()) mirror.close();
  }
}
