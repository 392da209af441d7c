import { expect, it } from "vitest";
import { REMOVALS_KEPT } from "../../src/store/scope-row.js";
import type { Commit, LeadStore, LeadUpsert, WrittenLead } from "../../src/store/types.js";

/**
 * The contract's cases on what a commit tells other instances sharing the store: the version that
 * wrote each lead, the ids it deleted, and the floor below which a copy cannot refresh by them
 * (LeadCopy.refresh). Called inside describeLeadStore (contract.ts), so they run against every
 * implementation.
 */
export function refreshCases(store: () => Promise<LeadStore>, fresh: (label?: string) => string): void {
  const lead = (id: number, name = `Lead ${id}`): LeadUpsert => ({
    id,
    updatedAt: "2026-01-01T00:00:00.000Z",
    body: () => JSON.stringify({ id, name }),
  });
  const commit = (expectedVersion: number, more: Partial<Commit> = {}): Commit => ({
    expectedVersion,
    upserts: [],
    deletes: [],
    changes: [],
    ...more,
  });
  const shown = (rows: WrittenLead[]) => rows.map((r) => [r.id, r.written, JSON.parse(r.body).name]);

  /** A scope and a function that commits to it, returning the new version. */
  async function scope(
    s: LeadStore,
  ): Promise<{ name: string; next: (more?: Partial<Commit>) => Promise<number> }> {
    const name = fresh();
    let version = (await s.ensureScope(name, "https://x")).version;
    const next = async (more: Partial<Commit> = {}) => {
      const row = await s.commit(name, commit(version, more));
      if (!row) throw new Error("commit refused");
      version = row.version;
      return version;
    };
    return { name, next };
  }

  it("stamps each lead a commit writes with its version, and each id it deletes until written again", async () => {
    const s = await store();
    const { name, next } = await scope(s);
    const v1 = await next({ upserts: [lead(1), lead(2), lead(3), lead(4)] });
    const v2 = await next({ upserts: [lead(2, "Two")], deletes: [3, 4] });
    const v3 = await next({ upserts: [lead(3, "Three again")], deletes: [1, 99] });
    expect(shown(await s.writtenSince(name, 0))).toEqual([
      [2, v2, "Two"],
      [3, v3, "Three again"],
    ]);
    expect(shown(await s.writtenSince(name, v1))).toEqual([
      [2, v2, "Two"],
      [3, v3, "Three again"],
    ]);
    expect(shown(await s.writtenSince(name, v2))).toEqual([[3, v3, "Three again"]]);
    expect(await s.writtenSince(name, v3)).toEqual([]);
    expect(await s.removedSince(name, 0)).toEqual([1, 4, 99]);
    expect(await s.removedSince(name, v1)).toEqual([1, 4, 99]);
    expect(await s.removedSince(name, v2)).toEqual([1, 99]);
    expect(await s.removedSince(name, v3)).toEqual([]);
    expect((await s.getScope(name))?.refreshFloor).toBe(0);
  });

  it("a lead written and deleted in one commit is deleted, and a commit of nothing changes nothing", async () => {
    const s = await store();
    const { name, next } = await scope(s);
    const v1 = await next({ upserts: [lead(1)] });
    await next({ upserts: [lead(1, "gone"), lead(2)], deletes: [1, 1] });
    const v3 = await next();
    expect(shown(await s.writtenSince(name, v1))).toEqual([[2, v1 + 1, "Lead 2"]]);
    expect(await s.removedSince(name, v1)).toEqual([1]);
    expect(await s.writtenSince(name, v3 - 1)).toEqual([]);
    expect(await s.removedSince(name, v3 - 1)).toEqual([]);
  });

  it("pages what was written by ascending (version, id), after the last row of the page before", async () => {
    const s = await store();
    const { name, next } = await scope(s);
    await next({ upserts: [lead(50), lead(10), lead(30)] });
    await next({ upserts: [lead(40), lead(20)] });
    await next({ upserts: [lead(10, "Ten")] });
    const order = (await s.writtenSince(name, 0)).map((r) => [r.written, r.id]);
    expect(order).toEqual([
      [1, 30],
      [1, 50],
      [2, 20],
      [2, 40],
      [3, 10],
    ]);
    const pages: number[][] = [];
    let after: { written: number; id: number } | undefined;
    for (;;) {
      const page = await s.writtenSince(name, 0, { after, limit: 2 });
      if (page.length === 0) break;
      pages.push(page.map((r) => r.id));
      const last = page.at(-1) as WrittenLead;
      after = { written: last.written, id: last.id };
    }
    expect(pages).toEqual([[30, 50], [20, 40], [10]]);
    expect(await s.writtenSince(name, 0, { limit: 0 })).toEqual([]);
    expect(await s.writtenSince(fresh("none"), 0)).toEqual([]);
  });

  it("a commit that replaces the scope from the stage raises the floor to its version and forgets older deletions", async () => {
    const s = await store();
    const { name, next } = await scope(s);
    await next({ upserts: [lead(1), lead(2)] });
    await next({ deletes: [2] });
    await s.stagePage(name, { nextPage: null, total: 2, pages: 1, startedAt: 1 }, [lead(5), lead(6)]);
    const v3 = await next({ fromStage: true, upserts: [lead(7)] });
    expect((await s.getScope(name))?.refreshFloor).toBe(v3);
    expect((await s.writtenSince(name, v3 - 1)).map((r) => [r.id, r.written])).toEqual([
      [5, v3],
      [6, v3],
      [7, v3],
    ]);
    expect(await s.removedSince(name, 0)).toEqual([]);
    const v4 = await next({ deletes: [5] });
    expect(await s.getScope(name)).toMatchObject({ version: v4, refreshFloor: v3 });
  });

  it(`keeps deletions ${REMOVALS_KEPT} versions back: dropping older ones raises the floor past them`, async () => {
    const s = await store();
    const { name, next } = await scope(s);
    const v1 = await next({ upserts: [lead(1), lead(2)] });
    const v2 = await next({ deletes: [1] });
    let version = v2;
    while (version < v2 + REMOVALS_KEPT - 1) version = await next();
    expect(await s.getScope(name)).toMatchObject({ refreshFloor: 0 });
    expect(await s.removedSince(name, v1)).toEqual([1]);
    version = await next({ deletes: [2] });
    expect(version).toBe(v2 + REMOVALS_KEPT);
    expect(await s.getScope(name)).toMatchObject({ refreshFloor: v2 });
    expect(await s.removedSince(name, 0)).toEqual([2]);
  }, 60_000);

  it("a scope deleted and created again keeps nothing of the old one's deletions", async () => {
    const s = await store();
    const { name, next } = await scope(s);
    await next({ upserts: [lead(1), lead(2)] });
    await next({ deletes: [1] });
    expect(await s.deleteScope(name)).toBe(true);
    const row = await s.ensureScope(name, "https://x");
    expect(row).toMatchObject({ version: 0, refreshFloor: 0 });
    expect(await s.removedSince(name, 0)).toEqual([]);
    expect(await s.writtenSince(name, 0)).toEqual([]);
  });
}
