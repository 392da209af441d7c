import type { RateBudget } from "../../moco/budget.js";
import type { MocoClient, PendingWrite } from "../../moco/client.js";
import { type RateLimit, RateLimiter } from "../../moco/rate-limit.js";
import type { ScanGap } from "../../moco/scan.js";
import type { Lead } from "../../moco/schemas.js";
import { within } from "../../moco/within.js";
import type { LeadStore, ScopeRow } from "../../store/types.js";
import type { ChangesPage, ChangesQuery, StateAt } from "../history.js";
import { type PlanInput, type Progress, planSync } from "../sync.js";
import { type Author, type ExternalChange, LeadCopy } from "./copy.js";
import { Liveness } from "./liveness.js";
import { type SyncReport, type SyncRun, SyncRunner } from "./sync-runner.js";
import { Uncertainty } from "./uncertainty.js";
import { SyncUnderWay } from "./under-way.js";

/**
 * A mirror of one credential scope's leads: kept in memory for reads (LeadCopy), persisted in the store
 * with its change history, brought up to date from MOCO before a read when older than the freshness
 * window or behind a write of unknown outcome (Uncertainty). One sync at a time per mirror (callers
 * share it), one lease per scope across instances sharing a store (SyncRunner), one transaction per
 * sync: a sync that fails part-way changes nothing. Served only while MOCO accepts its key (Liveness).
 */
export type { Progress } from "../sync.js";
export type { Author, ExternalChange } from "./copy.js";
export type { SyncKind, SyncReport } from "./sync-runner.js";

export interface MirrorOptions {
  store: LeadStore;
  /** The client of the credentials this mirror is for: its scope names the mirror in the store. */
  moco: MocoClient;
  /** A read older than this syncs first. Default 30 s. */
  freshMs?: number;
  /** A delta re-reads this much before MOCO's latest updated_at. Default 60 s. */
  overlapMs?: number;
  /** History older than this is pruned. Default 400 days. */
  retentionDays?: number;
  /** How long one MOCO request of a sync may wait for the rate budget. Default 5 min. */
  pageWaitMs?: number;
  /** How long a sync lease lasts unrenewed before another instance may take over. Default 60 s. */
  leaseMs?: number;
  /**
   * The share of MOCO's rate limit a sync may take in any window (0–1). Default 0.75: interactive
   * calls and other integrations on the same key keep the rest.
   */
  syncShare?: number;
  /**
   * The sync share's limiter when several mirrors keep to one together (MirrorRegistry: every key of
   * one MOCO account, since MOCO counts per account). Default: this mirror's own (syncShareLimiter).
   */
  syncBudget?: RateBudget;
  /**
   * The longest a read waits for a sync (default 25 s, below common client timeouts): then it answers
   * with what the mirror has, marked INCOMPLETE (a "syncing" gap), and the sync goes on in the background.
   */
  answerWithinMs?: number;
}

export interface ReadOptions {
  signal?: AbortSignal;
  onProgress?: Progress;
  /** Override the freshness window for this read (0 = always sync first). */
  maxAgeMs?: number;
}

export interface MirrorRead {
  /** Every lead of the scope, ordered by id, as parseLead returns them. Do not modify. */
  leads: readonly Lead[];
  /** When the data was last confirmed against MOCO (ISO). */
  asOf: string;
  /** Age of the data when the read returned, in ms. */
  ageMs: number;
  /** The sync this read waited for, if any. */
  sync: SyncReport | undefined;
  /**
   * Set when the latest sync could not make the copy agree with MOCO (its pages fell short of its own
   * count, or its list kept moving while read): then `leads` is not all of MOCO's, say so.
   */
  gap?: ScanGap;
}

export interface MirrorStatus {
  scope: string;
  available: boolean;
  problem: string | undefined;
  leads: number;
  syncedAt: string | null;
  historyStart: string | null;
}

const DEFAULTS = {
  freshMs: 30_000,
  overlapMs: 60_000,
  retentionDays: 400,
  pageWaitMs: 300_000,
  leaseMs: 60_000,
  syncShare: 0.75,
  answerWithinMs: 25_000,
};
/**
 * How long the error of a write of unknown outcome waits for the store to take its report (a database
 * that stopped answering would hold it for a minute, past the call's deadline); then it is counted here.
 */
export const REPORT_WAIT_MS = 2000;
const DAY_MS = 86_400_000;

/** The limiter of a sync share: `share` of MOCO's limit in each of its windows, at least one request. */
export function syncShareLimiter(rate: RateLimit, share = DEFAULTS.syncShare): RateLimiter {
  return new RateLimiter({ limit: Math.max(1, Math.floor(rate.limit * share)), windowMs: rate.windowMs });
}
const PRUNE_EVERY_MS = 3_600_000;

export class LeadMirror {
  readonly scope: string;
  /** The MOCO account of its key (MocoClient.account). */
  readonly account: string;
  private readonly store: LeadStore;
  private moco: MocoClient;
  private readonly settings: typeof DEFAULTS;
  private readonly copy: LeadCopy;
  private readonly runner: SyncRunner;
  private readonly uncertainty = new Uncertainty(() => this.markUnsure());
  private readonly liveness = new Liveness();
  /** A re-scan interrupted part-way; the next sync goes on from there. */
  private rescan: PlanInput["rescan"] = {};
  /** Reports of writes of unknown outcome still on their way to the store: a read waits for them. */
  private reports: Promise<void> = Promise.resolve();
  private lastPruneMs = 0;
  /**
   * The part of MOCO's budget every sync of this mirror keeps to (a slot here, then in the client's);
   * under a registry shared with the other mirrors of its account.
   */
  private readonly share: RateBudget;
  private readonly underWay = new SyncUnderWay();

  constructor(options: MirrorOptions) {
    this.store = options.store;
    // Our writes while the store was lost are in MOCO, not in the store: sync before answering again.
    this.moco = options.moco;
    this.scope = options.moco.scope;
    this.account = options.moco.account;
    this.uncertainty.watch(options.moco);
    this.liveness.watch(options.moco);
    this.settings = {
      freshMs: options.freshMs ?? DEFAULTS.freshMs,
      overlapMs: options.overlapMs ?? DEFAULTS.overlapMs,
      retentionDays: options.retentionDays ?? DEFAULTS.retentionDays,
      pageWaitMs: options.pageWaitMs ?? DEFAULTS.pageWaitMs,
      leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
      syncShare: options.syncShare ?? DEFAULTS.syncShare,
      answerWithinMs: options.answerWithinMs ?? DEFAULTS.answerWithinMs,
    };
    this.share = options.syncBudget ?? syncShareLimiter(options.moco.budget.rate, this.settings.syncShare);
    this.copy = new LeadCopy(this.store, this.scope, options.moco.url("").href);
    const { leaseMs, pageWaitMs } = this.settings;
    this.runner = new SyncRunner(
      { store: this.store, scope: this.scope, leaseMs, pageWaitMs },
      {
        refresh: () => this.copy.refresh(),
        syncedAt: () => this.copy.row?.syncedAt,
        run: (run) => this.syncOnce(run),
      },
    );
  }

  /** The freshness window: a read of a copy older than this syncs first (ms). */
  get freshMs(): number {
    return this.settings.freshMs;
  }

  /** False when the store failed: serve live scans instead. */
  get available(): boolean {
    return this.store.available;
  }

  /** The store's record of spent confirm tokens (leads/confirm.ts), which every instance using it shares. */
  get spentTokens(): Pick<LeadStore, "available" | "claim" | "unclaim" | "outages"> {
    return this.store;
  }

  /** The per-tenant HTTP transport may hand a newer client of the same credentials. */
  useClient(moco: MocoClient): void {
    this.moco = moco;
    // The client it replaces was let go idle (no write in flight): stop listening, and hold it no longer.
    this.uncertainty.useClient(moco);
    this.liveness.useClient(moco);
  }

  /**
   * A write of this scope may have been carried out without a usable answer: sync before the next read,
   * in every instance sharing the store (its scope row counts it), else in this one alone.
   */
  markUnsure(): Promise<void> {
    const told = this.store.available
      ? within(this.store.markUnsure(this.scope), REPORT_WAIT_MS).catch(() => false)
      : Promise.resolve(false);
    const counted = told.then((stored) => {
      if (!stored) this.uncertainty.markUnsure();
    });
    this.reports = this.reports.then(() => counted);
    return counted;
  }

  /** Whether this mirror heard of `write` from its client (and so reported it itself). */
  heard(write: PendingWrite): boolean {
    return this.uncertainty.heard(write);
  }

  /**
   * A write of unknown outcome (reported by any instance sharing the store, or counted here) is not yet
   * covered by a sync that began after it.
   */
  private get unsure(): boolean {
    const row = this.copy.row;
    return this.uncertainty.pending || (row !== undefined && row.unsure > row.settled);
  }

  /** What the latest sync could not reconcile with MOCO, as the store keeps it for every instance. */
  private get gap(): ScanGap | undefined {
    const text = this.copy.row?.gap;
    return text ? (JSON.parse(text) as ScanGap) : undefined;
  }

  /** Stops listening to the clients' writes (the registry let this mirror go; its client lives on). */
  release(): void {
    this.uncertainty.release();
    this.liveness.release();
  }

  /** MOCO refused this mirror's key, and no call with it has succeeded since: its copy is not served. */
  get refused(): boolean {
    return this.liveness.refused;
  }

  /**
   * Before the copy is served: a refused key is asked about again (MOCO's refusal is thrown), and a key
   * nothing confirmed within the freshness window (the copy's sync or any call of its clients) is
   * confirmed with one cheap call.
   */
  private live(signal?: AbortSignal): Promise<void> {
    const synced = Date.parse(this.copy.row?.syncedAt ?? "");
    const confirmedMs = Number.isNaN(synced) ? 0 : synced;
    return this.liveness.check(this.moco, { confirmedMs, freshMs: this.settings.freshMs, signal });
  }

  status(): MirrorStatus {
    const { row } = this.copy;
    return {
      scope: this.scope,
      available: this.available,
      problem: this.store.problem,
      leads: this.copy.size,
      syncedAt: row?.syncedAt ?? null,
      historyStart: row?.historyStart ?? null,
    };
  }

  /**
   * Every lead, synced first when the mirror is older than the freshness window (a full sync the
   * first time). A sync that takes longer than `answerWithinMs` goes on in the background, and the read
   * answers with what the mirror has, its gap saying so. Throws StoreUnavailableError when the store
   * failed (fall back to a live scan) and MocoError when MOCO could not be read (nothing was changed;
   * the next read retries), MOCO's refusal included when it no longer accepts the key.
   */
  async read(options: ReadOptions = {}): Promise<MirrorRead> {
    await this.reports;
    await this.copy.refresh();
    if (this.liveness.refused) await this.live(options.signal);
    const maxAge = options.maxAgeMs ?? this.settings.freshMs;
    // Building an answer from the stage takes a moment (≈ 0.4 s for 9,000 leads): kept inside the bound.
    const { answerWithinMs } = this.settings;
    const until = Date.now() + answerWithinMs - Math.min(2000, answerWithinMs / 10);
    let report: SyncReport | undefined;
    const syncedAt = this.copy.row?.syncedAt;
    const synced = syncedAt ? Date.parse(syncedAt) : Number.NaN;
    const sync = () => this.runner.joinWithin(until - Date.now(), options);
    if (!(Date.now() - synced < maxAge) || this.uncertainty.behind(synced) || this.unsure) {
      report = await sync();
      if (!report) return this.underWayRead(options.signal);
    }
    // The sync joined may have begun before an uncertain write: one more, begun after it.
    if (this.unsure) {
      report = await sync();
      if (!report) return this.underWayRead(options.signal);
    }
    if (!report) await this.live(options.signal);
    const asOf = this.copy.row?.syncedAt as string;
    return {
      leads: this.copy.list(),
      asOf,
      ageMs: Math.max(0, Date.now() - Date.parse(asOf)),
      sync: report,
      ...(this.gap ? { gap: this.gap } : {}),
    };
  }

  /** What a read answers while a sync goes on in the background. */
  private async underWayRead(signal?: AbortSignal): Promise<MirrorRead> {
    await this.live(signal);
    const { leads, asOf, gap } = await this.underWay.answer(this.copy, this.store, this.share.rate);
    return { leads, asOf, ageMs: Math.max(0, Date.now() - Date.parse(asOf)), sync: undefined, gap };
  }

  /** Syncs now (joining a sync already running). Aborting `signal` stops waiting; the sync itself
   * stops only when every caller waiting for it has given up. */
  sync(options: { signal?: AbortSignal; onProgress?: Progress } = {}): Promise<SyncReport> {
    return this.runner.join(options);
  }

  /** Our own create or update, from MOCO's answer: in the mirror and its history at once. Never throws. */
  applyWrite(lead: Lead, author?: Author): Promise<boolean> {
    return this.copy.applyWrite(lead, author);
  }

  /** Our own delete of a lead: out of the mirror at once, recorded in its history. Never throws. */
  applyDelete(id: number, author?: Author): Promise<boolean> {
    return this.copy.applyDelete(id, author);
  }

  /**
   * A change MOCO reported by webhook: in the mirror and its history at once, with who made it;
   * idempotent and safe out of order. False when it changed nothing (already known, older than the
   * copy, or the mirror has not synced yet: its first sync reads it). Never throws.
   */
  async applyExternal(change: ExternalChange): Promise<boolean> {
    try {
      await this.copy.refresh();
      return await this.copy.applyExternal(change);
    } catch {
      return false; // the store failed: reads fall back to live scans, which see the change
    }
  }

  /** What changed, oldest first; call read() before for changes up to now. */
  async changes(query: ChangesQuery): Promise<ChangesPage> {
    await this.copy.refresh();
    if (this.liveness.refused) await this.live();
    this.underWay.historyReady(this.copy, this.share.rate);
    return this.copy.changes(query);
  }

  /** All leads as they stood at `at` (ISO timestamp), rebuilt from the history. */
  async stateAt(at: string): Promise<StateAt> {
    await this.copy.refresh();
    if (this.liveness.refused) await this.live();
    this.underWay.historyReady(this.copy, this.share.rate);
    return this.copy.stateAt(at);
  }

  /** Drops history older than the retention period; returns the number of changes removed. */
  async prune(now = Date.now()): Promise<number> {
    await this.copy.refresh();
    const cutoff = new Date(now - this.settings.retentionDays * DAY_MS).toISOString();
    const removed = await this.copy.prune(cutoff);
    this.lastPruneMs = now;
    return removed;
  }

  /** Stops a running sync (e.g. at shutdown). */
  close(): void {
    this.runner.close();
  }

  /** One sync, the lease held: reads MOCO (planSync), then commits what it read to the copy. */
  private async syncOnce({ signal, progress }: SyncRun): Promise<SyncReport> {
    this.copy.beginSync();
    const base = this.copy.row as ScopeRow;
    this.underWay.begin(base.cursor === null);
    try {
      return await this.planAndCommit(base, { signal, progress });
    } finally {
      this.underWay.end();
    }
  }

  private async planAndCommit(base: ScopeRow, { signal, progress }: SyncRun): Promise<SyncReport> {
    // Uncertain writes reported before this sync's first request are covered by it: those counted
    // here, and those the store counted when `base` was read.
    const mark = this.uncertainty.mark();
    let requests = 0;
    const plan = await planSync({
      moco: this.moco,
      store: this.store,
      scope: this.scope,
      current: this.copy.byId,
      cursor: base.cursor,
      overlapMs: this.settings.overlapMs,
      reads: {
        signal,
        pageWaitMs: this.settings.pageWaitMs,
        onRequest: () => {
          requests++;
          this.underWay.request();
        },
        share: this.share,
      },
      onScan: (total, expected) => this.underWay.scanned(total, expected),
      progress,
      rescan: this.rescan,
      keep: (lead) => this.copy.keep(lead),
      gap: this.gap,
    });
    const counts = await this.copy.applySync(plan, base.unsure);
    const report: SyncReport = { kind: plan.kind, requests, ...counts };
    this.rescan = {};
    this.uncertainty.settle(mark);
    progress(requests, requests, `Mirror up to date: ${this.copy.size} leads`);
    if (Date.now() - this.lastPruneMs > PRUNE_EVERY_MS) await this.prune().catch(() => undefined);
    return report;
  }
}
