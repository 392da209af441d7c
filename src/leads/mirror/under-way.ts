import { InputError } from "../../errors.js";
import type { RateLimit } from "../../moco/rate-limit.js";
import type { ScanGap } from "../../moco/scan.js";
import type { Lead } from "../../moco/schemas.js";
import type { LeadStore } from "../../store/types.js";
import { loadAll } from "../sync.js";
import type { LeadCopy } from "./copy.js";

/**
 * A sync that takes longer than a read may wait (a first sync of a large account at MOCO's standard
 * limit takes minutes): what it has done so far, and what a read can honestly answer meanwhile. The
 * answer is never called complete: it carries a "syncing" gap saying what is missing and when the
 * sync should be done.
 */
export class SyncUnderWay {
  private run:
    | { first: boolean; times: number[]; total: number | null; expected: number | undefined }
    | undefined;

  /** A sync of this mirror began (`first`: the copy has never been synced). */
  begin(first: boolean): void {
    this.run = { first, times: [], total: null, expected: undefined };
  }

  /** The sync's request was answered. */
  request(): void {
    this.run?.times.push(Date.now());
  }

  /** The full scan's progress: MOCO's count, and the requests the sync will make in all. */
  scanned(total: number | null, expected: number | undefined): void {
    if (!this.run) return;
    this.run.total = total;
    this.run.expected = expected;
  }

  end(): void {
    this.run = undefined;
  }

  /**
   * What a read that cannot wait answers: on a first sync the leads its pages staged so far (loaded
   * from the store's stage), else the copy as of its last sync; with the gap that says so. `rate`:
   * the share of MOCO's limit the sync keeps to, for the estimate of when it is done.
   */
  async answer(
    copy: LeadCopy,
    store: LeadStore,
    rate: RateLimit,
  ): Promise<{ leads: readonly Lead[]; asOf: string; gap: ScanGap }> {
    const synced = copy.row?.syncedAt;
    const etaMs = this.eta(rate);
    const counted = this.run?.total ?? null;
    if (synced) {
      const gap: ScanGap = { kind: "syncing", first: false, read: copy.size, counted, etaMs };
      return { leads: copy.list(), asOf: synced, gap };
    }
    // First sync: its pages so far, as staged (also those of another instance syncing the same scope).
    const asOf = new Date().toISOString();
    const staged = await loadAll(
      (page) => store.loadStaged(copy.scope, page),
      (lead) => copy.keep(lead),
    );
    const leads = Object.freeze([...staged.values()].sort((a, b) => a.id - b.id));
    return { leads, asOf, gap: { kind: "syncing", first: true, read: leads.length, counted, etaMs } };
  }

  /**
   * The history begins with the first sync's commit: before it, a question about change has no
   * answer (never "no changes"). Throws an error saying when to ask again.
   */
  historyReady(copy: LeadCopy, rate: RateLimit): void {
    if (copy.row?.syncedAt) return;
    const eta = this.eta(rate);
    const when = eta === undefined ? "" : ` (done in about ${Math.max(1, Math.ceil(eta / 1000))} s)`;
    throw new InputError(
      `The lead mirror's first sync of this account is still under way${when}; its history begins when that sync is done, so no change can be told before then`,
      {},
      "Call again once the first sync is done; list_leads and pipeline_summary answer meanwhile from the leads read so far (marked INCOMPLETE).",
    );
  }

  /**
   * When the sync should be done (ms from now), undefined when unknown (MOCO has not said how many
   * leads there are, or a delta's size is not known in advance). Replays the requests still to come
   * against the rate share: each may start once fewer than `limit` answers lie within one window, and
   * takes as long as the typical request so far.
   */
  eta({ limit, windowMs }: RateLimit, now = Date.now()): number | undefined {
    const run = this.run;
    if (!run || run.expected === undefined) return undefined;
    const remaining = Math.max(0, run.expected - run.times.length);
    const done = [...run.times];
    const gaps = done
      .slice(1)
      .map((t, i) => t - (done[i] as number))
      .filter((g) => g < windowMs / 2)
      .sort((a, b) => a - b);
    const perRequest = Math.max(1, gaps[Math.floor(gaps.length / 2)] ?? 100);
    let t = now;
    for (let i = 0; i < remaining; i++) {
      const free = done.length >= limit ? (done[done.length - limit] as number) + windowMs : t;
      t = Math.max(t, free) + perRequest;
      done.push(t);
    }
    return t - now;
  }
}
