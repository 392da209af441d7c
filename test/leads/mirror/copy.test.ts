import { afterEach, describe, expect, it } from "vitest";
import { LeadCopy } from "../../../src/leads/mirror/copy.js";
import type { SyncPlan } from "../../../src/leads/sync.js";
import type { Lead } from "../../../src/moco/schemas.js";
import { openStore } from "../../../src/store/index.js";
import type { ChangeRow, LeadStore } from "../../../src/store/types.js";
import { lead } from "../../fixtures/moco.js";

/** The leads of one scope in memory, over a real (in-memory SQLite) store; no MOCO involved. */
const SCOPE = "copy-test-scope";
const CURSOR = "2026-01-01T00:00:00Z";
const stores: LeadStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, "0")}:00Z`;
const ids = (leads: readonly Lead[]) => leads.map((l) => l.id);

async function newCopy(store?: LeadStore): Promise<{ copy: LeadCopy; store: LeadStore }> {
  const s = store ?? (await openStore({ kind: "memory" }));
  if (!store) stores.push(s);
  const copy = new LeadCopy(s, SCOPE, "http://moco.test/api/v1/");
  await copy.refresh();
  return { copy, store: s };
}

/** The first sync, as planSync hands it over: every lead staged in the store, page by page. */
async function firstSync(copy: LeadCopy, store: LeadStore, leads: Lead[]) {
  const scan = { nextPage: null, total: leads.length, pages: 1, startedAt: Date.now() };
  const rows = leads.map((l) => ({ id: l.id, updatedAt: l.updated_at, body: () => JSON.stringify(l) }));
  await store.stagePage(SCOPE, scan, rows);
  const staged = new Map(leads.map((l) => [l.id, structuredClone(l)]));
  const plan: SyncPlan = { kind: "full", staged, fetched: new Map(), deleted: [], cursor: CURSOR };
  return copy.applySync(plan, 0);
}

/** A later sync that read `fetched` and found `deleted` gone. */
function delta(copy: LeadCopy, fetched: Lead[], deleted: number[] = []) {
  const plan: SyncPlan = {
    kind: "delta",
    staged: undefined,
    fetched: new Map(fetched.map((l) => [l.id, structuredClone(l)])),
    deleted,
    cursor: CURSOR,
  };
  return copy.applySync(plan, 0);
}

const history = (store: LeadStore): Promise<ChangeRow[]> => store.changes(SCOPE, {});

describe("the copy's sorted list", () => {
  it("orders the leads by id whatever order the stage and a sync gave them, and is frozen", async () => {
    const { copy, store } = await newCopy();
    await firstSync(copy, store, [lead({ id: 9 }), lead({ id: 2 }), lead({ id: 5 })]);
    await delta(copy, [lead({ id: 7 }), lead({ id: 1 })]);
    expect(ids(copy.list())).toEqual([1, 2, 5, 7, 9]);
    expect(Object.isFrozen(copy.list())).toBe(true);
  });

  it("is the same array until the copy changes, and a new one after an own write, a sync and a delete", async () => {
    const { copy, store } = await newCopy();
    await firstSync(copy, store, [lead({ id: 1 }), lead({ id: 2 })]);
    const warm = copy.list();
    expect(copy.list()).toBe(warm);

    expect(await copy.applyWrite(lead({ id: 3, updated_at: at(5) }))).toBe(true);
    const afterWrite = copy.list();
    expect(afterWrite).not.toBe(warm);
    expect(ids(afterWrite)).toEqual([1, 2, 3]);

    await delta(copy, [lead({ id: 4, updated_at: at(6) })]);
    const afterSync = copy.list();
    expect(afterSync).not.toBe(afterWrite);
    expect(ids(afterSync)).toEqual([1, 2, 3, 4]);

    expect(await copy.applyDelete(2)).toBe(true);
    expect(ids(copy.list())).toEqual([1, 3, 4]);
  });
});

describe("own writes", () => {
  const cases: {
    name: string;
    write: Lead;
    applied: boolean;
    name_after: string;
    change?: ChangeRow["kind"];
  }[] = [
    {
      name: "a lead the copy lacks is added and recorded as created",
      write: lead({ id: 3, name: "New", updated_at: at(5) }),
      applied: true,
      name_after: "New",
      change: "created",
    },
    {
      name: "a newer version is kept and recorded as updated",
      write: lead({ id: 1, name: "Renamed", updated_at: at(5) }),
      applied: true,
      name_after: "Renamed",
      change: "updated",
    },
    {
      name: "a version older than the copy's is ignored",
      write: lead({ id: 1, name: "Stale", updated_at: "2025-12-31T00:00:00Z" }),
      applied: false,
      name_after: "Lead",
    },
    {
      name: "a version that changes nothing is ignored",
      write: lead({ id: 1 }),
      applied: false,
      name_after: "Lead",
    },
  ];
  it.each(cases)("$name", async ({ write, applied, name_after, change }) => {
    const { copy, store } = await newCopy();
    await firstSync(copy, store, [lead({ id: 1 }), lead({ id: 2 })]);
    expect(await copy.applyWrite(write)).toBe(applied);
    expect(copy.byId.get(write.id)?.name).toBe(name_after);
    const rows = await history(store);
    expect(rows.map((r) => [r.leadId, r.kind, r.origin])).toEqual(change ? [[write.id, change, "own"]] : []);
    // What the copy holds is what the store holds: a fresh copy of the same store loads the same.
    const again = (await newCopy(store)).copy;
    expect(again.list()).toEqual(copy.list());
  });

  it("an updated lead's change names the fields that changed", async () => {
    const { copy, store } = await newCopy();
    await firstSync(copy, store, [lead({ id: 1, money: 100 })]);
    await copy.applyWrite(lead({ id: 1, money: 250, updated_at: at(5) }));
    const [row] = await history(store);
    expect(JSON.parse(row?.data ?? "{}").changes).toEqual([
      { field: "money", old: 100, new: 250 },
      { field: "updated_at", old: CURSOR, new: at(5) },
    ]);
  });

  it("a delete takes the lead out and records it; an id the copy lacks changes nothing", async () => {
    const { copy, store } = await newCopy();
    await firstSync(copy, store, [lead({ id: 1 }), lead({ id: 2 })]);
    expect(await copy.applyDelete(2)).toBe(true);
    expect(await copy.applyDelete(99)).toBe(false);
    expect(ids(copy.list())).toEqual([1]);
    expect((await history(store)).map((r) => [r.leadId, r.kind])).toEqual([[2, "deleted"]]);
  });

  it("before the first sync nothing is recorded: the sync will read it", async () => {
    const { copy, store } = await newCopy();
    expect(await copy.applyWrite(lead({ id: 1 }))).toBe(false);
    expect(await copy.applyDelete(1)).toBe(false);
    expect(copy.size).toBe(0);
    expect(await history(store)).toEqual([]);
  });
});

describe("a sync's commit against the copy as it is now", () => {
  it("the first sync is the history's baseline: every lead counted as created, no change recorded", async () => {
    const { copy, store } = await newCopy();
    const counts = await firstSync(copy, store, [lead({ id: 1 }), lead({ id: 2 })]);
    expect(counts).toMatchObject({ created: 2, updated: 0, deleted: 0 });
    expect(copy.row?.historyStart).toBe(counts.syncedAt);
    expect(await history(store)).toEqual([]);
  });

  it("a later sync records what it created, updated and deleted", async () => {
    const { copy, store } = await newCopy();
    await firstSync(copy, store, [lead({ id: 1 }), lead({ id: 2 })]);
    const counts = await delta(
      copy,
      [lead({ id: 1, name: "Changed", updated_at: at(5) }), lead({ id: 3 })],
      [2],
    );
    expect(counts).toMatchObject({ created: 1, updated: 1, deleted: 1 });
    expect(ids(copy.list())).toEqual([1, 3]);
    const rows = await history(store);
    expect(rows.map((r) => [r.leadId, r.kind, r.origin]).sort()).toEqual([
      [1, "updated", "sync"],
      [2, "deleted", "sync"],
      [3, "created", "sync"],
    ]);
  });

  it("does not bring back a lead we deleted after the sync began", async () => {
    const { copy, store } = await newCopy();
    await firstSync(copy, store, [lead({ id: 1 }), lead({ id: 2 })]);
    copy.beginSync();
    await copy.applyDelete(2);
    const counts = await delta(copy, [lead({ id: 2, name: "Read before the delete", updated_at: at(5) })]);
    expect(counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(ids(copy.list())).toEqual([1]);
  });

  it("keeps our own write over an older version the sync read", async () => {
    const { copy, store } = await newCopy();
    await firstSync(copy, store, [lead({ id: 1 })]);
    await copy.applyWrite(lead({ id: 1, name: "Ours", updated_at: at(9) }));
    await delta(copy, [lead({ id: 1, name: "Read earlier", updated_at: at(5) })]);
    expect(copy.byId.get(1)?.name).toBe("Ours");
  });

  it("a commit refused because another instance committed meanwhile loads what that instance stored", async () => {
    const { copy, store } = await newCopy();
    await firstSync(copy, store, [lead({ id: 1 })]);
    const other = (await newCopy(store)).copy;
    expect(await other.applyWrite(lead({ id: 2, updated_at: at(5) }))).toBe(true);
    const counts = await delta(copy, [lead({ id: 3, updated_at: at(6) })]);
    expect(ids(copy.list())).toEqual([1, 2]);
    expect(copy.row).toEqual(other.row);
    expect(counts.syncedAt).toBe(other.row?.syncedAt);
    // The copy goes on working: its own writes commit again.
    expect(await copy.applyWrite(lead({ id: 4, updated_at: at(7) }))).toBe(true);
  }, 5_000);

  it("leads loaded from the store or read by a sync share their equal parts as one frozen object", async () => {
    const { copy, store } = await newCopy();
    await firstSync(copy, store, [lead({ id: 1 }), lead({ id: 2 })]);
    await delta(copy, [lead({ id: 3 }), lead({ id: 4 })]);
    const [, , c, d] = copy.list();
    expect(c?.user).toBe(d?.user);
    expect(Object.isFrozen(c?.user)).toBe(true);
    const [a, b] = (await newCopy(store)).copy.list();
    expect(a?.company).toBe(b?.company);
    expect(Object.isFrozen(a?.company)).toBe(true);
  });
});
