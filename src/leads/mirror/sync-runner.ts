import { randomUUID } from "node:crypto";
import { log } from "../../log.js";
import { MocoError } from "../../moco/errors.js";
import type { LeadStore } from "../../store/types.js";
import type { Progress } from "../sync.js";

/** Beyond a lease's length, how long a waiting instance still looks for the lease to run out. */
const TAKEOVER_MARGIN_MS = 5000;

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

/** What one sync gets from the runner: the signal that stops it, and the progress every waiter hears. */
export interface SyncRun {
  signal: AbortSignal;
  progress: Progress;
}

/** The mirror's side of a sync. */
export interface SyncWork {
  /** The copy as the store holds it (also after another instance committed). */
  refresh(): Promise<void>;
  /** When the copy was last synced (ISO; another instance's sync changes it, a write does not). */
  syncedAt(): string | null | undefined;
  /** With the lease held: read MOCO and commit. */
  run(run: SyncRun): Promise<SyncReport>;
}

export interface LeaseSettings {
  store: LeadStore;
  scope: string;
  /** How long a lease lasts unrenewed before another instance may take over. */
  leaseMs: number;
  /** How long to wait for another instance's sync to commit (never less than a lease and a margin). */
  pageWaitMs: number;
}

interface SharedSync {
  promise: Promise<SyncReport>;
  controller: AbortController;
  waiters: number;
  listeners: Set<Progress>;
}

/**
 * One sync at a time per mirror, shared by every caller that asks meanwhile, and one per scope across
 * instances sharing a store (a lease, renewed while the sync runs). A caller that gives up stops
 * waiting; the sync itself stops only when every caller waiting for it has given up.
 */
export class SyncRunner {
  private readonly owner = randomUUID();
  private shared: SharedSync | undefined;

  constructor(
    private readonly lease: LeaseSettings,
    private readonly work: SyncWork,
  ) {}

  /** Joins the running sync, or starts one. Aborting `signal` stops waiting. */
  join(options: { signal?: AbortSignal; onProgress?: Progress } = {}): Promise<SyncReport> {
    if (options.signal?.aborted) return Promise.reject(cancelled());
    const shared = this.current();
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

  /**
   * Joins as join() does, but waits at most `ms`: then resolves undefined, and the sync goes on in the
   * background, held by the runner itself until it ends (later callers join it; it is never started
   * twice). Aborting `signal` before then stops waiting, as with join().
   */
  async joinWithin(
    ms: number,
    options: { signal?: AbortSignal; onProgress?: Progress } = {},
  ): Promise<SyncReport | undefined> {
    if (options.signal?.aborted) throw cancelled();
    const wait = new AbortController();
    const stop = () => wait.abort();
    options.signal?.addEventListener("abort", stop, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, ms), undefined);
    });
    const joined = this.join({ signal: wait.signal, onProgress: options.onProgress });
    const shared = this.shared;
    try {
      const report = await Promise.race([joined, late]);
      if (report !== undefined) return report;
      // It ended just as the bound passed: its report is on its way (holding on would start another).
      if (this.shared !== shared) return await joined;
      // The runner holds the sync before this caller leaves it, so that it does not stop.
      this.join().catch((error: unknown) => {
        if (!(error instanceof MocoError && error.kind === "cancelled"))
          log("warn", "a lead mirror sync in the background failed; the next read tries again", {
            error: error instanceof Error ? error.message : String(error),
          });
      });
      joined.catch(() => undefined);
      wait.abort();
      return undefined;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", stop);
    }
  }

  /** Stops a running sync (e.g. at shutdown). */
  close(): void {
    this.shared?.controller.abort();
  }

  /** The sync to join: the running one, unless everyone gave up on it. */
  private current(): SharedSync {
    const run = this.shared;
    if (run && !run.controller.signal.aborted) return run;
    // A sync everyone gave up on may still be winding down: the next one starts after it.
    const before = run ? run.promise.catch(() => undefined) : Promise.resolve();
    const created: SharedSync = {
      controller: new AbortController(),
      waiters: 0,
      listeners: new Set(),
      promise: Promise.resolve() as never,
    };
    created.promise = before
      .then(() => this.run(created))
      .finally(() => {
        if (this.shared === created) this.shared = undefined;
      });
    this.shared = created;
    return created;
  }

  private async run(shared: SharedSync): Promise<SyncReport> {
    await this.work.refresh();
    const { store, scope, leaseMs } = this.lease;
    if (!(await store.acquireLease(scope, this.owner, leaseMs))) return this.awaitOtherInstance(shared);
    // Another instance may have committed and let go since the refresh above: sync on from its commit
    // (a delta), never a second full sync from the copy as it was.
    try {
      await this.work.refresh();
    } catch (error) {
      await store.releaseLease(scope, this.owner).catch(() => undefined);
      throw error;
    }
    return this.runHeld(shared);
  }

  /**
   * With the lease held: the sync itself, the lease renewed while it runs and released after. A renewal
   * that finds the lease taken (this instance's renewals failed for a whole lease, and another instance
   * took it over) stops this sync: that instance's sync serves the callers instead of two reading MOCO.
   */
  private async runHeld(shared: SharedSync): Promise<SyncReport> {
    const { store, scope, leaseMs } = this.lease;
    const lost = new AbortController();
    const signal = AbortSignal.any([shared.controller.signal, lost.signal]);
    // Renewed while the sync runs, so the lease can be short: after a crash, another process (or
    // this one restarted) waits at most one lease period.
    const heartbeat = setInterval(() => {
      store.acquireLease(scope, this.owner, leaseMs).then(
        (held) => {
          if (!held) lost.abort();
        },
        () => undefined,
      );
    }, leaseMs / 3);
    heartbeat.unref();
    const progress: Progress = (done, total, message) => {
      for (const listener of shared.listeners) listener(done, total, message);
    };
    try {
      return await this.work.run({ signal, progress });
    } catch (error) {
      if (!lost.signal.aborted || shared.controller.signal.aborted) throw error;
    } finally {
      clearInterval(heartbeat);
      await store.releaseLease(scope, this.owner).catch(() => undefined);
    }
    log(
      "warn",
      "another instance took over this instance's sync of the lead mirror (its lease lapsed); serving that one",
    );
    return this.awaitOtherInstance(shared);
  }

  /**
   * Another instance holds the lease: wait for its commit, then serve what it stored. When its lease
   * runs out (renewed no more: that instance died, or gave up without committing), this instance takes
   * the sync over, from the pages a first sync already staged, and its callers get its result.
   */
  private async awaitOtherInstance(shared: SharedSync): Promise<SyncReport> {
    const { signal } = shared.controller;
    const { store, scope, leaseMs, pageWaitMs } = this.lease;
    // A sync's commit moves syncedAt; a write another instance applied moves only the version.
    const start = this.work.syncedAt();
    const served = async (): Promise<SyncReport | undefined> => {
      const row = await store.getScope(scope);
      if (!row?.syncedAt || row.syncedAt === start) return undefined;
      await this.work.refresh();
      return { kind: "delta", requests: 0, created: 0, updated: 0, deleted: 0, syncedAt: row.syncedAt };
    };
    // A holder that died lets its lease run out within leaseMs: waiting that long gives the takeover its chance.
    const until = Date.now() + Math.max(pageWaitMs, leaseMs + TAKEOVER_MARGIN_MS);
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (signal.aborted) throw cancelled();
      const committed = await served();
      if (committed) return committed;
      if (!(await store.acquireLease(scope, this.owner, leaseMs))) continue;
      let late: SyncReport | undefined;
      try {
        // It may have committed just before its lease ended: then its result serves.
        late = await served();
        if (!late) await this.work.refresh();
      } catch (error) {
        await store.releaseLease(scope, this.owner).catch(() => undefined);
        throw error;
      }
      if (late) {
        await store.releaseLease(scope, this.owner).catch(() => undefined);
        return late;
      }
      log(
        "info",
        "another instance's sync of the lead mirror stopped unfinished; this instance takes it over",
      );
      return this.runHeld(shared);
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
