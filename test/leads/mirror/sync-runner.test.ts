import { afterEach, describe, expect, it } from "vitest";
import { type SyncReport, type SyncRun, SyncRunner } from "../../../src/leads/mirror/sync-runner.js";
import { MocoError } from "../../../src/moco/errors.js";
import { openStore } from "../../../src/store/index.js";
import type { LeadStore } from "../../../src/store/types.js";

/**
 * The shared run over a real (in-memory) store: the sync's own work is a stand-in that the test
 * finishes by hand, so that who joins, who leaves and when the run stops can be watched exactly.
 */
const SCOPE = "runner-test-scope";
const stores: LeadStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const report = (syncedAt: string): SyncReport => ({
  kind: "delta",
  requests: 1,
  created: 0,
  updated: 0,
  deleted: 0,
  syncedAt,
});

/** A runner whose every run waits until the test calls finish() (or fail()). */
async function setup(options: { leaseMs?: number; pageWaitMs?: number } = {}) {
  const store = await openStore({ kind: "memory" });
  stores.push(store);
  let { syncedAt } = await store.ensureScope(SCOPE, "http://moco.test/api/v1/");
  const getScope = store.getScope.bind(store); // as the copy reads it, whatever a test does to the store
  const runs: { run: SyncRun; finish: (r: SyncReport) => void; fail: (e: unknown) => void }[] = [];
  let refreshes = 0;
  const runner = new SyncRunner(
    { store, scope: SCOPE, leaseMs: options.leaseMs ?? 60_000, pageWaitMs: options.pageWaitMs ?? 5_000 },
    {
      refresh: async () => {
        refreshes++;
        syncedAt = (await getScope(SCOPE))?.syncedAt ?? null;
      },
      syncedAt: () => syncedAt,
      run: (run) =>
        new Promise<SyncReport>((finish, fail) => {
          runs.push({ run, finish, fail });
        }),
    },
  );
  const started = async (n: number, timeout = 1000) => {
    await expect.poll(() => runs.length, { timeout }).toBe(n);
    return runs[n - 1] as (typeof runs)[number];
  };
  return { store, runner, runs, started, refreshes: () => refreshes };
}

const isCancelled = (e: unknown) => e instanceof MocoError && e.kind === "cancelled";

describe("callers of one sync", () => {
  it("who ask while a sync runs join it: one run, the same report for each", async () => {
    const { runner, runs, started } = await setup();
    const a = runner.join();
    const b = runner.join();
    const run = await started(1);
    const c = runner.join();
    run.finish(report("2026-01-01T00:00:00.000Z"));
    const reports = await Promise.all([a, b, c]);
    expect(runs).toHaveLength(1);
    expect(new Set(reports).size).toBe(1);
  });

  it("a sync that failed fails every caller, and the next caller starts a new one", async () => {
    const { runner, runs, started } = await setup();
    const a = runner.join();
    const b = runner.join();
    (await started(1)).fail(new MocoError({ kind: "server", message: "MOCO broke" }));
    await expect(a).rejects.toThrow("MOCO broke");
    await expect(b).rejects.toThrow("MOCO broke");
    const c = runner.join();
    (await started(2)).finish(report("2026-01-01T00:00:00.000Z"));
    await expect(c).resolves.toMatchObject({ kind: "delta" });
    expect(runs).toHaveLength(2);
  });

  it("every caller still waiting hears the run's progress; one who left does not", async () => {
    const { runner, started } = await setup();
    const heard: string[] = [];
    const leaving = new AbortController();
    const a = runner.join({ onProgress: (_d, _t, m) => heard.push(`a ${m}`) });
    const b = runner.join({ signal: leaving.signal, onProgress: (_d, _t, m) => heard.push(`b ${m}`) });
    const run = await started(1);
    run.run.progress(1, 2, "half");
    leaving.abort();
    await expect(b).rejects.toSatisfy(isCancelled);
    run.run.progress(2, 2, "done");
    run.finish(report("2026-01-01T00:00:00.000Z"));
    await a;
    expect(heard).toEqual(["a half", "b half", "a done"]);
  });
});

describe("giving up", () => {
  it("a caller that gives up is cancelled at once; the run goes on while another waits", async () => {
    const { runner, started } = await setup();
    const leaving = new AbortController();
    const a = runner.join({ signal: leaving.signal });
    const b = runner.join();
    const run = await started(1);
    leaving.abort();
    await expect(a).rejects.toSatisfy(isCancelled);
    expect(run.run.signal.aborted).toBe(false);
    run.finish(report("2026-01-01T00:00:00.000Z"));
    await expect(b).resolves.toMatchObject({ syncedAt: "2026-01-01T00:00:00.000Z" });
  });

  it("when every caller has given up the run is aborted, and the next caller's run starts after it ends", async () => {
    const { runner, runs, started } = await setup();
    const one = new AbortController();
    const two = new AbortController();
    const a = runner.join({ signal: one.signal });
    const b = runner.join({ signal: two.signal });
    const first = await started(1);
    one.abort();
    two.abort();
    await expect(a).rejects.toSatisfy(isCancelled);
    await expect(b).rejects.toSatisfy(isCancelled);
    expect(first.run.signal.aborted).toBe(true);
    const c = runner.join();
    // The aborted run has not wound down yet: the new one waits for it.
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toHaveLength(1);
    first.fail(new MocoError({ kind: "cancelled", message: "stopped" }));
    const second = await started(2);
    expect(second.run.signal.aborted).toBe(false);
    second.finish(report("2026-01-01T00:00:01.000Z"));
    await expect(c).resolves.toMatchObject({ syncedAt: "2026-01-01T00:00:01.000Z" });
  });

  it("a caller whose signal is already aborted is refused without starting a run", async () => {
    const { runner, runs, refreshes } = await setup();
    await expect(runner.join({ signal: AbortSignal.abort() })).rejects.toSatisfy(isCancelled);
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toHaveLength(0);
    expect(refreshes()).toBe(0);
  });

  it("close() stops the running sync", async () => {
    const { runner, started } = await setup();
    const a = runner.join();
    const run = await started(1);
    runner.close();
    expect(run.run.signal.aborted).toBe(true);
    run.fail(new MocoError({ kind: "cancelled", message: "stopped" }));
    await expect(a).rejects.toSatisfy(isCancelled);
  });
});

describe("the lease across instances", () => {
  it("is held while the run works and released after it, also after a failure", async () => {
    const { store, runner, started } = await setup();
    const a = runner.join();
    const run = await started(1);
    expect(await store.acquireLease(SCOPE, "another-instance", 60_000)).toBe(false);
    run.fail(new MocoError({ kind: "server", message: "MOCO broke" }));
    await expect(a).rejects.toThrow("MOCO broke");
    expect(await store.acquireLease(SCOPE, "another-instance", 60_000)).toBe(true);
  });

  it("while another instance holds it, waits for that instance's commit and serves it without running", async () => {
    const { store, runner, runs, refreshes } = await setup();
    expect(await store.acquireLease(SCOPE, "another-instance", 60_000)).toBe(true);
    const a = runner.join();
    await new Promise((r) => setTimeout(r, 100));
    const row = await store.getScope(SCOPE);
    const syncedAt = "2026-01-01T00:00:02.000Z";
    await store.commit(SCOPE, {
      expectedVersion: row?.version ?? 0,
      upserts: [],
      deletes: [],
      changes: [],
      syncedAt,
    });
    await expect(a).resolves.toEqual({
      kind: "delta",
      requests: 0,
      created: 0,
      updated: 0,
      deleted: 0,
      syncedAt,
    });
    expect(runs).toHaveLength(0);
    expect(refreshes()).toBe(2); // before asking for the lease, and to load the other instance's commit
  });

  it("an instance that let its lease go without committing: the waiting caller's instance takes the sync over", async () => {
    const { store, runner, runs, started } = await setup();
    expect(await store.acquireLease(SCOPE, "another-instance", 60_000)).toBe(true);
    const a = runner.join();
    await new Promise((r) => setTimeout(r, 100));
    await store.releaseLease(SCOPE, "another-instance");
    const run = await started(1);
    // Held by the instance that took over: a third one waits in its turn.
    expect(await store.acquireLease(SCOPE, "a-third-instance", 60_000)).toBe(false);
    run.finish(report("2026-01-01T00:00:03.000Z"));
    await expect(a).resolves.toMatchObject({
      kind: "delta",
      requests: 1,
      syncedAt: "2026-01-01T00:00:03.000Z",
    });
    expect(runs).toHaveLength(1);
    expect(await store.acquireLease(SCOPE, "a-third-instance", 60_000)).toBe(true);
  });

  it("an instance whose renewals failed for a whole lease, taken over meanwhile: stops its sync and serves the other's", async () => {
    const { store, runner, runs, started } = await setup({ leaseMs: 600 });
    const acquire = store.acquireLease.bind(store);
    let blip = false;
    // This instance's store calls fail for a while (a database blip it alone sees); another's do not.
    store.acquireLease = (scope, owner, ttl) =>
      blip && owner !== "another-instance" ? Promise.reject(new Error("blip")) : acquire(scope, owner, ttl);
    const a = runner.join();
    const run = await started(1);
    run.run.signal.addEventListener("abort", () =>
      run.fail(new MocoError({ kind: "cancelled", message: "stopped" })),
    );
    blip = true;
    await expect.poll(() => acquire(SCOPE, "another-instance", 60_000), { timeout: 3000 }).toBe(true);
    blip = false;
    await expect.poll(() => run.run.signal.aborted, { timeout: 2000 }).toBe(true);
    const row = await store.getScope(SCOPE);
    const syncedAt = "2026-01-01T00:00:05.000Z";
    await store.commit(SCOPE, {
      expectedVersion: row?.version ?? 0,
      upserts: [],
      deletes: [],
      changes: [],
      syncedAt,
    });
    await expect(a).resolves.toMatchObject({ requests: 0, syncedAt });
    expect(runs).toHaveLength(1);
  });

  it("an instance that died holding the lease: its sync is taken over once the lease runs out unrenewed", async () => {
    const { store, runner, started } = await setup({ leaseMs: 600 });
    // What a killed instance leaves: its lease, never renewed nor released.
    const died = Date.now();
    expect(await store.acquireLease(SCOPE, "a-killed-instance", 600)).toBe(true);
    const a = runner.join();
    const run = await started(1);
    expect(Date.now() - died).toBeGreaterThanOrEqual(550);
    expect(await store.acquireLease(SCOPE, "a-killed-instance", 600)).toBe(false);
    run.finish(report("2026-01-01T00:00:04.000Z"));
    await expect(a).resolves.toMatchObject({ requests: 1, syncedAt: "2026-01-01T00:00:04.000Z" });
  });

  it("an instance that commits and lets go between two looks of the waiting one: its commit is served, no retry", async () => {
    const { store, runner, runs } = await setup();
    expect(await store.acquireLease(SCOPE, "another-instance", 60_000)).toBe(true);
    const syncedAt = "2026-01-01T00:00:03.000Z";
    const getScope = store.getScope.bind(store);
    let armed = true;
    // The waiting runner's first look sees the scope as it was; right after it, the other instance
    // commits and releases its lease, before the runner asks for the lease.
    store.getScope = async (scope) => {
      const row = await getScope(scope);
      if (armed && row) {
        armed = false;
        const changes = { upserts: [], deletes: [], changes: [], syncedAt };
        await store.commit(SCOPE, { expectedVersion: row.version, ...changes });
        await store.releaseLease(SCOPE, "another-instance");
      }
      return row;
    };
    await expect(runner.join()).resolves.toMatchObject({ requests: 0, syncedAt });
    expect(runs).toHaveLength(0);
  });

  it("a write another instance commits while the holder syncs is not taken for the holder's sync", async () => {
    const { store, runner, started } = await setup({ leaseMs: 600 });
    const synced = await store.getScope(SCOPE);
    const base = { upserts: [], deletes: [], changes: [] };
    await store.commit(SCOPE, {
      expectedVersion: synced?.version ?? 0,
      ...base,
      syncedAt: "2026-01-01T00:00:01.000Z",
    });
    const died = Date.now();
    expect(await store.acquireLease(SCOPE, "a-killed-instance", 600)).toBe(true);
    const a = runner.join();
    await new Promise((r) => setTimeout(r, 100));
    // A third instance's own write (remember()): the version moves, syncedAt does not.
    const row = await store.getScope(SCOPE);
    await store.commit(SCOPE, { expectedVersion: row?.version ?? 0, ...base });
    const run = await started(1);
    expect(Date.now() - died).toBeGreaterThanOrEqual(550);
    run.finish(report("2026-01-01T00:00:05.000Z"));
    await expect(a).resolves.toMatchObject({ requests: 1, syncedAt: "2026-01-01T00:00:05.000Z" });
  });

  it("a lease longer than pageWaitMs still runs out before the waiting instance gives up: it takes over", async () => {
    const { store, runner, started } = await setup({ leaseMs: 1500, pageWaitMs: 300 });
    expect(await store.acquireLease(SCOPE, "a-killed-instance", 1500)).toBe(true);
    const a = runner.join();
    const run = await started(1, 5000);
    run.finish(report("2026-01-01T00:00:06.000Z"));
    await expect(a).resolves.toMatchObject({ requests: 1, syncedAt: "2026-01-01T00:00:06.000Z" });
  });

  it("gives up waiting for an instance that keeps renewing its lease, after pageWaitMs or a lease and a margin", async () => {
    const { store, runner } = await setup({ leaseMs: 600, pageWaitMs: 300 });
    expect(await store.acquireLease(SCOPE, "another-instance", 600)).toBe(true);
    const alive = setInterval(() => void store.acquireLease(SCOPE, "another-instance", 600), 150);
    const began = Date.now();
    try {
      await expect(runner.join()).rejects.toThrow("Another instance is still syncing this account's leads");
    } finally {
      clearInterval(alive);
    }
    const waited = Date.now() - began;
    expect(waited).toBeGreaterThanOrEqual(600 + 5000 - 50);
    expect(waited).toBeLessThan(15_000);
  }, 20_000);
});
