import { expect, it } from "vitest";
import type { Commit, LeadStore } from "../../src/store/types.js";

/**
 * The contract's cases on what a scope's row keeps for every instance sharing the store: writes of
 * unknown outcome (`unsure`, and how many of them a sync covered, `settled`) and the latest sync's gap.
 * Called inside describeLeadStore (contract.ts), so they run against every implementation.
 */
export function scopeMarkCases(store: () => Promise<LeadStore>, fresh: (label?: string) => string): void {
  const empty = (expectedVersion: number, more: Partial<Commit> = {}): Commit => ({
    expectedVersion,
    upserts: [],
    deletes: [],
    changes: [],
    ...more,
  });

  it("a new scope has no write of unknown outcome and no gap", async () => {
    const s = await store();
    const row = await s.ensureScope(fresh(), "https://x");
    expect(row).toMatchObject({ unsure: 0, settled: 0, gap: null });
  });

  it("counts writes of unknown outcome atomically, leaving the version alone; an unknown scope is false", async () => {
    const s = await store();
    const scope = fresh();
    const row = await s.ensureScope(scope, "https://x");
    const marked = await Promise.all(Array.from({ length: 12 }, () => s.markUnsure(scope)));
    expect(marked.every(Boolean)).toBe(true);
    expect(await s.getScope(scope)).toMatchObject({ unsure: 12, settled: 0, version: row.version });
    expect(await s.markUnsure(fresh("unknown"))).toBe(false);
    expect(await s.getScope(scope)).toMatchObject({ unsure: 12 });
  });

  it("a commit settles up to the mark it carries, never back; a commit without one keeps it", async () => {
    const s = await store();
    const scope = fresh();
    const row = await s.ensureScope(scope, "https://x");
    for (let i = 0; i < 3; i++) await s.markUnsure(scope);
    const one = await s.commit(scope, empty(row.version, { settle: 2 }));
    expect(one).toMatchObject({ unsure: 3, settled: 2 });
    const older = await s.commit(scope, empty((one ?? row).version, { settle: 1 }));
    expect(older).toMatchObject({ settled: 2 });
    const own = await s.commit(scope, empty((older ?? row).version));
    expect(own).toMatchObject({ unsure: 3, settled: 2 });
    const all = await s.commit(scope, empty((own ?? row).version, { settle: 3 }));
    expect(all).toMatchObject({ unsure: 3, settled: 3 });
  });

  it("a commit's gap is kept as given, cleared by null, and left alone when absent", async () => {
    const s = await store();
    const scope = fresh();
    const row = await s.ensureScope(scope, "https://x");
    const gap = JSON.stringify({ kind: "count", read: 200, counted: 264, reread: true });
    const found = await s.commit(scope, empty(row.version, { gap, syncedAt: "2026-01-01T00:00:00.000Z" }));
    expect(found?.gap).toBe(gap);
    expect((await s.getScope(scope))?.gap).toBe(gap);
    const own = await s.commit(scope, empty((found ?? row).version));
    expect(own?.gap).toBe(gap);
    const cleared = await s.commit(scope, empty((own ?? row).version, { gap: null }));
    expect(cleared?.gap).toBeNull();
  });

  it("a refused commit (an older version) changes neither the settled mark nor the gap", async () => {
    const s = await store();
    const scope = fresh();
    const row = await s.ensureScope(scope, "https://x");
    await s.markUnsure(scope);
    const first = await s.commit(scope, empty(row.version));
    const stale = await s.commit(scope, empty(row.version, { settle: 1, gap: '{"kind":"count"}' }));
    expect(stale).toBeUndefined();
    expect(await s.getScope(scope)).toMatchObject({
      unsure: 1,
      settled: 0,
      gap: null,
      version: first?.version,
    });
  });
}
