import { randomUUID } from "node:crypto";
import { log } from "../../log.js";
import type { MocoClient } from "../../moco/client.js";
import { MocoError } from "../../moco/errors.js";
import type { ScanGap } from "../../moco/scan.js";
import type { Lead } from "../../moco/schemas.js";
import type { LeadStore, LeadUpsert, NewChange, ScopeRow } from "../../store/types.js";
import { StoreUnavailableError } from "../../store/types.js";
import {
  type ChangesPage,
  type ChangesQuery,
  diffLeads,
  queryChanges,
  reconstruct,
  type StateAt,
  same,
} from "../history.js";
import { loadAll, type PlanInput, type Progress, planSync, type SyncPlan } from "../sync.js";

/**
 * A mirror of one credential scope's leads: kept in memory for reads, persisted in the store with its
 * change history, brought up to date from MOCO before a read when older than the freshness window.
 * One sync at a time per mirror (callers share it), one lease per scope across instances sharing a
 * store, one transaction per sync: a sync that fails part-way changes nothing.
 */
export type { Progress } from "../sync.js";

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
}

export interface ReadOptions {
  signal?: AbortSignal;
  onProgress?: Progress;
  /** Override the freshness window for this read (0 = always sync first). */
  maxAgeMs?: number;
}

export type SyncKind = "full" | "delta";

export interface SyncReport {
  kind: SyncKind;
  /** MOCO requests made by the sync. */
  requests: number;
  created: number;
  updated: number;
  deleted: number;
  /** The new "as of" time (ISO). */
  syncedAt: string;
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

interface SharedSync {
  promise: Promise<SyncReport>;
  controller: AbortController;
  waiters: number;
  listeners: Set<Progress>;
}

const DEFAULTS = {
  freshMs: 30_000,
  overlapMs: 60_000,
  retentionDays: 400,
  pageWaitMs: 300_000,
  leaseMs: 60_000,
};
const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export class LeadMirror {
  readonly scope: string;
  private readonly store: LeadStore;
  private moco: MocoClient;
  private readonly baseUrl: string;
  private readonly settings: typeof DEFAULTS;
  private readonly owner = randomUUID();
  private leads = new Map<number, Lead>();
  private row: ScopeRow | undefined;
  private shared: SharedSync | undefined;
  /** A re-scan interrupted part-way; the next sync goes on from there. */
  private rescan: PlanInput["rescan"] = {};
  /** Our own deletes since the running sync started: its older reads must not bring them back. */
  private deletedMeanwhile = new Set<number>();
  /** Serialises every change of `leads` and the store (sync commits, own writes). */
  private lock: Promise<unknown> = Promise.resolve();
  private lastSeenMs = 0;
  private lastPruneMs = 0;
  /** What the latest sync of this mirror could not reconcile with MOCO (kept until a sync that can). */
  private gap: ScanGap | undefined;
  /**
   * Writes of this scope whose outcome is unknown (counted), and how many of them a sync that began
   * after them has covered: while `unsure > settled` the mirror may lack a lead MOCO has, and the next
   * read syncs whatever the freshness window says.
   */
  private unsure = 0;
  private settled = 0;
  private readonly watching = new Map<MocoClient, () => void>();
  /** The latest uncertain write a client had before this mirror listened to it (ms; 0: none). */
  private uncertainAt = 0;
  private readonly parts = new SharedParts();
  private sorted: { map: Map<number, Lead>; list: readonly Lead[] } | undefined;

  constructor(options: MirrorOptions) {
    this.store = options.store;
    this.moco = options.moco;
    this.baseUrl = options.moco.url("").href;
    this.scope = options.moco.scope;
    this.watch(options.moco);
    this.settings = {
      freshMs: options.freshMs ?? DEFAULTS.freshMs,
      overlapMs: options.overlapMs ?? DEFAULTS.overlapMs,
      retentionDays: options.retentionDays ?? DEFAULTS.retentionDays,
      pageWaitMs: options.pageWaitMs ?? DEFAULTS.pageWaitMs,
      leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
    };
  }

  /** False when the store failed: serve live scans instead. */
  get available(): boolean {
    return this.store.available;
  }

  /** The per-tenant HTTP transport may hand a newer client of the same credentials. */
  useClient(moco: MocoClient): void {
    this.moco = moco;
    // The client it replaces was let go idle (no write in flight): stop listening, and hold it no longer.
    for (const [old, stop] of this.watching) {
      if (old === moco) continue;
      stop();
      this.watching.delete(old);
    }
    this.watch(moco);
  }

  /** A write of this scope may have been carried out without a usable answer: sync before the next read. */
  markUnsure(): void {
    this.unsure++;
  }

  /** Stops listening to the clients' writes (the registry let this mirror go; its client lives on). */
  release(): void {
    for (const stop of this.watching.values()) stop();
    this.watching.clear();
  }

  /** Every client of this scope tells of its uncertain writes (a create whose answer was lost, …). */
  private watch(moco: MocoClient): void {
    if (this.watching.has(moco)) return;
    this.watching.set(
      moco,
      moco.onUncertainWrite(() => this.markUnsure()),
    );
    // A write of unknown outcome before this mirror listened (its first use came after it): a copy
    // synced before it must sync again, whatever the freshness window says.
    this.uncertainAt = Math.max(this.uncertainAt, moco.lastUncertainAt ?? 0);
  }

  status(): MirrorStatus {
    return {
      scope: this.scope,
      available: this.available,
      problem: this.store.problem,
      leads: this.leads.size,
      syncedAt: this.row?.syncedAt ?? null,
      historyStart: this.row?.historyStart ?? null,
    };
  }

  /**
   * Every lead, synced first when the mirror is older than the freshness window (a full sync the
   * first time). Throws StoreUnavailableError when the store failed (fall back to a live scan) and
   * MocoError when MOCO could not be read (nothing was changed; the next read retries).
   */
  async read(options: ReadOptions = {}): Promise<MirrorRead> {
    await this.refresh();
    const maxAge = options.maxAgeMs ?? this.settings.freshMs;
    let report: SyncReport | undefined;
    const synced = this.row?.syncedAt ? Date.parse(this.row.syncedAt) : Number.NaN;
    const behind = this.unsure > this.settled || !(synced > this.uncertainAt);
    if (!(Date.now() - synced < maxAge) || behind) report = await this.sync(options);
    // The sync joined may have begun before an uncertain write: one more, begun after it.
    if (this.unsure > this.settled) report = await this.sync(options);
    const asOf = this.row?.syncedAt as string;
    return {
      leads: this.sortedLeads(),
      asOf,
      ageMs: Math.max(0, Date.now() - Date.parse(asOf)),
      sync: report,
      ...(this.gap ? { gap: this.gap } : {}),
    };
  }

  /** Syncs now (joining a sync already running). Aborting `signal` stops waiting; the sync itself
   * stops only when every caller waiting for it has given up. */
  sync(options: { signal?: AbortSignal; onProgress?: Progress } = {}): Promise<SyncReport> {
    if (options.signal?.aborted) return Promise.reject(cancelled());
    let run = this.shared;
    // A sync everyone gave up on may still be winding down: the next one starts after it.
    const before = run?.controller.signal.aborted ? run.promise.catch(() => undefined) : undefined;
    if (before) run = undefined;
    if (!run) {
      const controller = new AbortController();
      const created: SharedSync = {
        controller,
        waiters: 0,
        listeners: new Set(),
        promise: Promise.resolve() as never,
      };
      created.promise = (before ?? Promise.resolve())
        .then(() => this.runSync(created))
        .finally(() => {
          if (this.shared === created) this.shared = undefined;
        });
      this.shared = created;
      run = created;
    }
    const shared = run;
    shared.waiters++;
    if (options.onProgress) shared.listeners.add(options.onProgress);
    return new Promise<SyncReport>((resolve, reject) => {
      const leave = () => {
        options.signal?.removeEventListener("abort", onAbort);
        if (options.onProgress) shared.listeners.delete(options.onProgress);
        shared.waiters--;
      };
      const onAbort = () => {
        leave();
        if (shared.waiters === 0) shared.controller.abort();
        reject(cancelled());
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      shared.promise.then(
        (report) => {
          leave();
          resolve(report);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }

  /** Our own create or update, from MOCO's answer: in the mirror and its history at once. Never throws. */
  applyWrite(lead: Lead): Promise<boolean> {
    return this.ownChange(lead.id, (old) => {
      if (old && Date.parse(old.updated_at) > Date.parse(lead.updated_at)) return undefined;
      if (!old) return { lead, change: { kind: "created", data: JSON.stringify(lead) } };
      const changes = diffLeads(old, lead);
      if (changes.length === 0) return undefined;
      return { lead, change: { kind: "updated", data: JSON.stringify({ name: lead.name, changes }) } };
    });
  }

  /** Our own delete of a lead: out of the mirror at once, recorded in its history. Never throws. */
  applyDelete(id: number): Promise<boolean> {
    this.deletedMeanwhile.add(id);
    return this.ownChange(id, (old) =>
      old ? { lead: undefined, change: { kind: "deleted", data: JSON.stringify(old) } } : undefined,
    );
  }

  /** What changed, oldest first; call read() before for changes up to now. */
  async changes(query: ChangesQuery): Promise<ChangesPage> {
    await this.refresh();
    return queryChanges(this.store, this.scope, this.row, this.leads, query);
  }

  /** All leads as they stood at `at` (ISO timestamp), rebuilt from the history. */
  async stateAt(at: string): Promise<StateAt> {
    await this.refresh();
    return this.locked(() => reconstruct(this.store, this.scope, this.row, this.leads, at));
  }

  /** Drops history older than the retention period; returns the number of changes removed. */
  async prune(now = Date.now()): Promise<number> {
    await this.refresh();
    const cutoff = new Date(now - this.settings.retentionDays * DAY_MS).toISOString();
    const removed = await this.locked(() => this.store.prune(this.scope, cutoff));
    this.lastPruneMs = now;
    this.row = await this.store.getScope(this.scope);
    return removed;
  }

  /** Stops a running sync (e.g. at shutdown). */
  close(): void {
    this.shared?.controller.abort();
  }

  /** The leads by id, cached until the mirror changes (a warm read then costs no sort). */
  private sortedLeads(): readonly Lead[] {
    if (this.sorted?.map !== this.leads) {
      const list = Object.freeze([...this.leads.values()].sort((a, b) => a.id - b.id));
      this.sorted = { map: this.leads, list };
    }
    return this.sorted.list;
  }

  /** Loads the scope, and reloads it when another instance committed to the same store. */
  private async refresh(): Promise<void> {
    if (!this.store.available) throw new StoreUnavailableError(this.store.problem ?? "store unavailable");
    const row = this.row
      ? await this.store.getScope(this.scope)
      : await this.store.ensureScope(this.scope, this.baseUrl);
    if (!row) throw new StoreUnavailableError("the mirror's scope was deleted from the store");
    if (this.row?.version === row.version) return;
    await this.locked(async () => {
      const current = await this.store.getScope(this.scope);
      this.leads = await loadAll(
        (page) => this.store.loadLeads(this.scope, page),
        (lead) => this.parts.lead(lead),
      );
      this.row = current;
    });
  }

  private locked<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lock.then(work);
    this.lock = result.catch(() => undefined);
    return result;
  }

  /** Strictly increasing per mirror, so each sync's changes have their own instant. */
  private seenAt(): string {
    this.lastSeenMs = Math.max(Date.now(), this.lastSeenMs + 1);
    return new Date(this.lastSeenMs).toISOString();
  }

  private async ownChange(
    id: number,
    decide: (
      old: Lead | undefined,
    ) => { lead: Lead | undefined; change: Pick<NewChange, "kind" | "data"> } | undefined,
  ): Promise<boolean> {
    try {
      if (!this.store.available || !this.row?.syncedAt) return false;
      return await this.locked(async () => {
        const row = this.row as ScopeRow;
        const outcome = decide(this.leads.get(id));
        if (!outcome) return false;
        const change: NewChange = { leadId: id, seenAt: this.seenAt(), origin: "own", ...outcome.change };
        const { lead } = outcome;
        const committed = await this.store.commit(this.scope, {
          expectedVersion: row.version,
          upserts: lead ? [{ id, updatedAt: lead.updated_at, body: () => JSON.stringify(lead) }] : [],
          deletes: lead ? [] : [id],
          changes: [change],
        });
        if (!committed) {
          this.row = undefined; // another instance moved on: reload before the next read
          return false;
        }
        if (lead) this.leads.set(id, this.parts.lead(structuredClone(lead)));
        else this.leads.delete(id);
        this.sorted = undefined;
        this.row = committed;
        return true;
      });
    } catch (error) {
      if (!(error instanceof StoreUnavailableError))
        log("warn", "could not record our own write in the lead mirror");
      return false;
    }
  }

  private async runSync(run: SharedSync): Promise<SyncReport> {
    await this.refresh();
    const { signal } = run.controller;
    const { leaseMs } = this.settings;
    const acquired = await this.store.acquireLease(this.scope, this.owner, leaseMs);
    if (!acquired) return this.awaitOtherInstance(signal);
    this.deletedMeanwhile = new Set();
    // Renewed while the sync runs, so the lease can be short: after a crash, another process (or
    // this one restarted) waits at most one lease period.
    const heartbeat = setInterval(() => {
      this.store.acquireLease(this.scope, this.owner, leaseMs).catch(() => undefined);
    }, leaseMs / 3);
    heartbeat.unref();
    try {
      return await this.syncOnce(run, signal);
    } finally {
      clearInterval(heartbeat);
      await this.store.releaseLease(this.scope, this.owner).catch(() => undefined);
    }
  }

  private async syncOnce(run: SharedSync, signal: AbortSignal): Promise<SyncReport> {
    const base = this.row as ScopeRow;
    // Uncertain writes reported before this sync's first request are covered by it.
    const unsure = this.unsure;
    let requests = 0;
    const progress: Progress = (done, total, message) => {
      for (const listener of run.listeners) listener(done, total, message);
    };
    const plan = await planSync({
      moco: this.moco,
      store: this.store,
      scope: this.scope,
      current: this.leads,
      cursor: base.cursor,
      overlapMs: this.settings.overlapMs,
      reads: { signal, pageWaitMs: this.settings.pageWaitMs, onRequest: () => requests++ },
      progress,
      rescan: this.rescan,
      keep: (lead) => this.parts.lead(lead),
      gap: this.gap,
    });
    const report = await this.locked(() => this.commitSync(plan, requests));
    this.rescan = {};
    this.gap = plan.gap;
    this.settled = Math.max(this.settled, unsure);
    progress(requests, requests, `Mirror up to date: ${this.leads.size} leads`);
    if (Date.now() - this.lastPruneMs > PRUNE_EVERY_MS) await this.prune().catch(() => undefined);
    return report;
  }

  /** Diffs what the sync read against the mirror as it is now (own writes may have landed) and commits. */
  private async commitSync(plan: SyncPlan, requests: number): Promise<SyncReport> {
    const row = this.row as ScopeRow;
    const first = plan.staged !== undefined;
    const seenAt = this.seenAt();
    const next = new Map(plan.staged ?? this.leads);
    const upserts: LeadUpsert[] = [];
    const changes: NewChange[] = [];
    const counts = { created: first ? next.size : 0, updated: 0, deleted: 0 };
    // The first sync is the baseline of the history, not thousands of "created" changes.
    const record = (leadId: number, kind: NewChange["kind"], data: unknown) => {
      counts[kind]++;
      if (!first) changes.push({ leadId, seenAt, kind, origin: "sync", data: JSON.stringify(data) });
    };
    for (const [id, lead] of plan.fetched) {
      if (this.deletedMeanwhile.has(id)) continue;
      const old = next.get(id);
      if (old && Date.parse(old.updated_at) > Date.parse(lead.updated_at)) continue;
      if (old && same(old, lead)) continue;
      next.set(id, this.parts.lead(lead));
      upserts.push({ id, updatedAt: lead.updated_at, body: () => JSON.stringify(lead) });
      if (!old) record(id, "created", lead);
      else record(id, "updated", { name: lead.name, changes: diffLeads(old, lead) });
    }
    const gone = plan.deleted.filter((id) => next.has(id));
    for (const id of gone) {
      record(id, "deleted", next.get(id));
      next.delete(id);
    }
    const committed = await this.store.commit(this.scope, {
      expectedVersion: row.version,
      upserts,
      deletes: gone,
      changes,
      syncedAt: seenAt,
      cursor: plan.cursor ?? undefined,
      historyStart: first ? seenAt : undefined,
      fromStage: first,
    });
    if (!committed) {
      // Another instance synced this scope meanwhile; its result is as good as ours.
      this.row = undefined;
      await this.refresh();
    } else {
      this.leads = next;
      this.row = committed;
    }
    return { kind: plan.kind, requests, ...counts, syncedAt: this.row?.syncedAt ?? seenAt };
  }

  /** Another instance holds the lease: wait for its commit, then serve what it stored. */
  private async awaitOtherInstance(signal: AbortSignal): Promise<SyncReport> {
    const start = this.row?.version;
    const until = Date.now() + this.settings.pageWaitMs;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (signal.aborted) throw cancelled();
      const row = await this.store.getScope(this.scope);
      if (row && row.version !== start && row.syncedAt) {
        await this.refresh();
        return { kind: "delta", requests: 0, created: 0, updated: 0, deleted: 0, syncedAt: row.syncedAt };
      }
      if (await this.store.acquireLease(this.scope, this.owner, this.settings.leaseMs)) {
        await this.store.releaseLease(this.scope, this.owner);
        throw new MocoError({
          kind: "server",
          message: "Another instance's sync of this account stopped; retry",
        });
      }
    }
    throw new MocoError({
      kind: "timeout",
      message: "Another instance is still syncing this account's leads",
    });
  }
}

function cancelled(): MocoError {
  return new MocoError({ kind: "cancelled", message: "The request was cancelled" });
}

/**
 * Leads share equal parts (user, company, person, category, tag list, empty custom fields) as one frozen
 * object each: a 20,000-lead mirror takes about a third less memory. Frozen, so a caller that tried to
 * change a shared part would fail loudly instead of changing every lead.
 */
class SharedParts {
  private readonly pool = new Map<string, object>();

  lead(lead: Lead): Lead {
    const l = lead as Record<string, unknown>;
    for (const field of ["user", "company", "person", "category", "tags"]) {
      const value = l[field];
      if (value !== null && typeof value === "object") l[field] = this.one(value);
    }
    const custom = l.custom_properties;
    if (custom && typeof custom === "object" && Object.keys(custom).length === 0)
      l.custom_properties = this.one(custom);
    return lead;
  }

  private one(value: object): object {
    const key = JSON.stringify(value);
    const hit = this.pool.get(key);
    if (hit) return hit;
    this.pool.set(key, Object.freeze(value));
    return value;
  }
}

/**
 * One mirror per credential scope, for servers that serve several keys (per-request credentials,
 * OAuth). At most `maxLoaded` are held in memory, the least recently used let go first (its data stays
 * in the store and is loaded again when its key returns), so a team server does not grow with every key.
 */
export class MirrorRegistry {
  private readonly mirrors = new Map<string, LeadMirror>();
  private readonly maxLoaded: number;

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

  /** How many mirrors are held in memory now. */
  get loaded(): number {
    return this.mirrors.size;
  }

  close(): void {
    for (const mirror of this.mirrors.values()) mirror.close();
  }
}
