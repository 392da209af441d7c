import type { RateBudget } from "../../moco/budget.js";
import type { MocoClient, PendingWrite } from "../../moco/client.js";
import { within } from "../../moco/within.js";
import { LeadMirror, type MirrorOptions, REPORT_WAIT_MS, syncShareLimiter } from "./mirror.js";

/**
 * One mirror per credential scope, for servers that serve several keys (per-request credentials,
 * OAuth). At most `maxLoaded` are held in memory, the least recently used let go first (its data stays
 * in the store and is loaded again when its key returns), so a team server does not grow with every key.
 * MOCO counts its limit per account, not per key: the syncs of all keys of one account keep to ONE
 * sync share together, so several people's first syncs cannot take the whole account's budget.
 */
const READY_CACHE_MS = 1000;

export class MirrorRegistry {
  private readonly mirrors = new Map<string, LeadMirror>();
  /** The sync share of each account with a mirror loaded, or with a sync still inside its window. */
  private readonly shares = new Map<string, RateBudget>();
  private readonly maxLoaded: number;
  private readiness: { at: number; answer: Promise<string | undefined> } | undefined;

  constructor(
    private readonly defaults: Omit<MirrorOptions, "moco" | "syncBudget"> & { maxLoaded?: number },
  ) {
    this.maxLoaded = defaults.maxLoaded ?? 20;
  }

  /** The mirror of the credentials `moco` speaks for (its scope), without ever seeing the key. */
  forClient(moco: MocoClient): LeadMirror {
    let mirror = this.mirrors.get(moco.scope);
    if (mirror) {
      mirror.useClient(moco);
      this.mirrors.delete(moco.scope); // re-inserted below: a Map iterates oldest first
    } else {
      // Let go, not closed: a sync it is running still finishes and commits; then it is garbage
      // (released from its clients, which would otherwise hold it).
      while (this.mirrors.size >= this.maxLoaded) {
        const oldest = this.mirrors.keys().next().value as string;
        this.mirrors.get(oldest)?.release();
        this.mirrors.delete(oldest);
      }
      mirror = new LeadMirror({ ...this.defaults, moco, syncBudget: this.shareOf(moco) });
    }
    this.mirrors.set(moco.scope, mirror);
    return mirror;
  }

  /**
   * The sync share of `moco`'s account, made from its rate as a lone mirror's is. Shares of accounts
   * with no mirror loaded are forgotten once idle (a let-go mirror's sync still running keeps its own
   * until then), so the map holds at most the loaded accounts plus those still syncing.
   */
  private shareOf(moco: MocoClient): RateBudget {
    const loaded = new Set([...this.mirrors.values()].map((m) => m.account));
    for (const [account, share] of this.shares)
      if (!loaded.has(account) && share.idle()) this.shares.delete(account);
    let share = this.shares.get(moco.account);
    if (!share) {
      share = syncShareLimiter(moco.budget.rate, this.defaults.syncShare);
      this.shares.set(moco.account, share);
    }
    return share;
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

  /** How many accounts' sync shares are held now. */
  get accountShares(): number {
    return this.shares.size;
  }

  close(): void {
    for (const mirror of this.mirrors.values()) mirror.close();
  }
}
