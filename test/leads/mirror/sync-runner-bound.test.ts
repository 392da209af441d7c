import { afterEach, describe, expect, it } from "vitest";
import { type SyncReport, type SyncRun, SyncRunner } from "../../../src/leads/mirror/sync-runner.js";
import { openStore } from "../../../src/store/index.js";
import type { LeadStore } from "../../../src/store/types.js";

/**
 * SyncRunner.joinWithin: a caller waits for the shared sync at most so long; then the sync goes on in
 * the background, held by the runner, and later callers join that same run. The sync's own work is a
 * stand-in the test finishes by hand.
 */
const SCOPE = "runner-bound-scope";
const stores: LeadStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const report: SyncReport = {
  kind: "full",
  requests: 3,
  created: 3,
  updated: 0,
  deleted: 0,
  syncedAt: "2026-01-01T00:00:00.000Z",
};

async function setup() {
  const store = await openStore({ kind: "memory" });
  stores.push(store);
  const { syncedAt } = await store.ensureScope(SCOPE, "http://moco.test/api/v1/");
  const runs: { run: SyncRun; finish: (r: SyncReport) => void }[] = [];
  const runner = new SyncRunner(
    { store, scope: SCOPE, leaseMs: 60_000, pageWaitMs: 5_000 },
    {
      refresh: async () => {},
      syncedAt: () => syncedAt,
      run: (run) => new Promise<SyncReport>((finish) => runs.push({ run, finish })),
    },
  );
  return { runner, runs };
}

describe("a caller that waits for a sync at most so long", () => {
  it("gets nothing after the bound; the sync goes on, later callers join it, and it runs once", async () => {
    const { runner, runs } = await setup();
    const heard: string[] = [];
    const first = await runner.joinWithin(50, { onProgress: (_d, _t, m) => heard.push(m) });
    expect(first).toBeUndefined();
    expect(runs).toHaveLength(1);
    const run = runs[0] as (typeof runs)[number];
    expect(run.run.signal.aborted).toBe(false);
    // The caller that left hears no more progress.
    run.run.progress(1, 3, "after the answer");
    expect(heard).not.toContain("after the answer");
    const later = runner.joinWithin(5_000);
    run.finish(report);
    await expect(later).resolves.toBe(report);
    expect(runs).toHaveLength(1);
  });

  it("a sync done within the bound gives its report", async () => {
    const { runner, runs } = await setup();
    const joined = runner.joinWithin(5_000);
    await expect.poll(() => runs.length).toBe(1);
    runs[0]?.finish(report);
    await expect(joined).resolves.toBe(report);
  });

  it("a caller that gives up before the bound stops a sync no one else waits for", async () => {
    const { runner, runs } = await setup();
    const give = new AbortController();
    const joined = runner.joinWithin(5_000, { signal: give.signal });
    await expect.poll(() => runs.length).toBe(1);
    give.abort();
    await expect(joined).rejects.toMatchObject({ kind: "cancelled" });
    expect(runs[0]?.run.signal.aborted).toBe(true);
  });
});
