import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LeadCopy } from "../../../src/leads/mirror/copy.js";
import type { SyncPlan } from "../../../src/leads/sync.js";
import type { Lead } from "../../../src/moco/schemas.js";
import { openStore, resolveStoreSetting } from "../../../src/store/index.js";
import type { LeadStore, StoreLocation } from "../../../src/store/types.js";
import { lead } from "../../fixtures/moco.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "../../store/postgres-support.js";

/**
 * Two instances' copies of one scope over one store (two connections, as two processes have): what
 * one commits, the other's refresh reads as the change alone, and its copy is always the one a full
 * load of the store gives.
 */
const SCOPE = "copy-refresh-scope";
const BASE = "http://moco.test/api/v1/";
const pgSkip = await skipReason();
const dirs: string[] = [];
const schemas: string[] = [];
const opened: LeadStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});
afterAll(async () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (pgSkip === undefined) for (const s of schemas.splice(0)) await dropSchema(s);
});

const sqliteFile = (): StoreLocation => {
  const dir = mkdtempSync(join(tmpdir(), "copy-refresh-"));
  dirs.push(dir);
  return { kind: "file", path: join(dir, "store.sqlite") };
};
const backends: { name: string; skip: string | undefined; location: () => StoreLocation }[] = [
  { name: "one SQLite file", skip: undefined, location: sqliteFile },
  {
    name: "one PostgreSQL schema",
    skip: pgSkip,
    location: () => {
      const schema = randomSchema();
      schemas.push(schema);
      return resolveStoreSetting(storeUrl(schema)) as StoreLocation;
    },
  },
];

/** Rows each read of the store returned, by method. */
type Reads = { loadLeads: number; writtenSince: number; removedSince: number };

async function open(location: StoreLocation, reads?: Reads): Promise<LeadStore> {
  const store = await openStore(location);
  opened.push(store);
  expect(store.available, store.problem).toBe(true);
  if (!reads) return store;
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      if (key !== "loadLeads" && key !== "writtenSince" && key !== "removedSince") return value.bind(target);
      return async (...args: unknown[]) => {
        const rows = (await value.apply(target, args)) as unknown[];
        reads[key] += rows.length;
        return rows;
      };
    },
  });
}

async function copyOn(store: LeadStore): Promise<LeadCopy> {
  const copy = new LeadCopy(store, SCOPE, BASE);
  await copy.refresh();
  return copy;
}

/** The leads of a copy, ordered by id, as plain data. */
const plain = (copy: LeadCopy) => JSON.parse(JSON.stringify(copy.list())) as Lead[];

/** What a full load of the store gives, by a copy of its own. */
async function fullLoad(store: LeadStore): Promise<Lead[]> {
  return plain(await copyOn(store));
}

let clock = Date.parse("2026-01-01T00:00:00Z");
const next = (id: number, name: string): Lead => {
  clock += 1000;
  return lead({ id, name, updated_at: new Date(clock).toISOString() });
};

/** A sync's commit replacing every lead (the first sync's, or a full re-read's): staged, then committed. */
async function replace(copy: LeadCopy, store: LeadStore, leads: Lead[]): Promise<void> {
  await copy.refresh(); // as the sync runner does before it plans
  const scan = { nextPage: null, total: leads.length, pages: 1, startedAt: Date.now() };
  await store.stagePage(
    SCOPE,
    scan,
    leads.map((l) => ({ id: l.id, updatedAt: l.updated_at, body: () => JSON.stringify(l) })),
  );
  const staged = new Map(leads.map((l) => [l.id, structuredClone(l)]));
  const plan: SyncPlan = {
    kind: "full",
    staged,
    fetched: new Map(),
    deleted: [],
    cursor: "2026-01-01T00:00:00Z",
  };
  await copy.applySync(plan, 0);
}

async function delta(copy: LeadCopy, fetched: Lead[], deleted: number[]) {
  await copy.refresh();
  const plan: SyncPlan = {
    kind: "delta",
    staged: undefined,
    fetched: new Map(fetched.map((l) => [l.id, l])),
    deleted,
    cursor: "2026-01-01T00:00:00Z",
  };
  return copy.applySync(plan, 0);
}

const ids = fc.integer({ min: 1, max: 12 });
const name = fc.constantFrom("Alpha", "Beta", "Gamma", "Delta");
const op = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("write" as const), id: ids, name }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant("delete" as const), id: ids }), weight: 3 },
  {
    arbitrary: fc.record({
      op: fc.constant("sync" as const),
      write: fc.uniqueArray(ids, { maxLength: 4 }),
      drop: fc.uniqueArray(ids, { maxLength: 3 }),
      name,
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant("replace" as const), keep: fc.uniqueArray(ids) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("otherWrites" as const), id: ids, name }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("refresh" as const) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("refreshDuring" as const), id: ids, name }), weight: 2 },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

for (const backend of backends) {
  describe.skipIf(backend.skip !== undefined)(`refresh of another instance's copy: ${backend.name}`, () => {
    it("after any commits by one copy (writes, deletes, re-creates, syncs, a full replace), the other's refresh equals a full load", async () => {
      let incremental = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
          const location = backend.location();
          const reads: Reads = { loadLeads: 0, writtenSince: 0, removedSince: 0 };
          const [sa, sb, sc] = [await open(location), await open(location, reads), await open(location)];
          const a = await copyOn(sa);
          await replace(
            a,
            sa,
            [1, 2, 3, 4, 5].map((id) => next(id, "Start")),
          );
          const b = await copyOn(sb);
          const run = async (o: Op): Promise<void> => {
            if (o.op === "write") await a.applyWrite(next(o.id, o.name));
            else if (o.op === "delete") await a.applyDelete(o.id);
            else if (o.op === "sync")
              await delta(
                a,
                o.write.map((id) => next(id, o.name)),
                o.drop.filter((id) => !o.write.includes(id)),
              );
            else if (o.op === "replace")
              await replace(
                a,
                sa,
                o.keep.map((id) => next(id, "Replaced")),
              );
            else if (o.op === "otherWrites") await b.applyWrite(next(o.id, o.name));
            else if (o.op === "refresh") await a.refresh();
          };
          for (const o of ops) {
            if (o.op === "refreshDuring") {
              // A commit lands while the other copy reads: its next refresh reads it again.
              await Promise.all([b.refresh(), a.applyWrite(next(o.id, o.name))]);
            } else await run(o);
            const before = reads.writtenSince;
            await b.refresh();
            if (reads.writtenSince > before) incremental++;
            expect(plain(b)).toEqual(await fullLoad(sc));
          }
          await a.refresh();
          expect(plain(a)).toEqual(plain(b));
          for (const s of opened.splice(0)) await s.close();
        }),
        { numRuns: backend.skip === undefined && backend.name.includes("PostgreSQL") ? 25 : 60 },
      );
      expect(incremental).toBeGreaterThan(0);
    }, 180_000);

    it("a refresh after one change reads only that change; after a full replace, every lead", async () => {
      const location = backend.location();
      const reads: Reads = { loadLeads: 0, writtenSince: 0, removedSince: 0 };
      const [sa, sb] = [await open(location), await open(location, reads)];
      const a = await copyOn(sa);
      await replace(
        a,
        sa,
        Array.from({ length: 500 }, (_, i) => next(i + 1, `Lead ${i + 1}`)),
      );
      const b = await copyOn(sb);
      expect(b.size).toBe(500);
      expect(reads.loadLeads).toBe(500);

      const count = () => ({ ...reads });
      const zero = () => Object.assign(reads, { loadLeads: 0, writtenSince: 0, removedSince: 0 });
      zero();
      expect(await a.applyWrite(next(7, "Renamed"))).toBe(true);
      await b.refresh();
      expect(count()).toEqual({ loadLeads: 0, writtenSince: 1, removedSince: 0 });
      expect(b.byId.get(7)?.name).toBe("Renamed");

      zero();
      expect(await a.applyDelete(3)).toBe(true);
      await b.refresh();
      expect(count()).toEqual({ loadLeads: 0, writtenSince: 0, removedSince: 1 });
      expect(b.byId.has(3)).toBe(false);
      expect(b.size).toBe(499);

      zero();
      await replace(
        a,
        sa,
        Array.from({ length: 20 }, (_, i) => next(i + 1, "Again")),
      );
      await b.refresh();
      expect(reads.loadLeads).toBe(20);
      expect(plain(b)).toEqual(plain(a));
    });
  });
}

describe("the copy's version is always the one of the leads it holds", () => {
  it("a prune while another instance commits keeps the copy's version: its next refresh reads that commit", async () => {
    const location = sqliteFile();
    const sa = await open(location);
    const a = await copyOn(sa);
    await replace(
      a,
      sa,
      [1, 2, 3].map((id) => next(id, "Start")),
    );
    const plainB = await open(location);
    const sb = new Proxy(plainB, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (key !== "prune") return typeof value === "function" ? value.bind(target) : value;
        return async (...args: [string, string]) => {
          const removed = await target.prune(...args);
          await a.applyWrite(next(2, "Renamed during the prune")); // before the pruning copy reads its row
          return removed;
        };
      },
    });
    const b = await copyOn(sb);
    await b.prune("2020-01-01T00:00:00.000Z");
    await b.refresh();
    expect(b.byId.get(2)?.name).toBe("Renamed during the prune");
    expect(plain(b)).toEqual(plain(a));
  });

  it("after its own commit was refused, a copy refreshes by what the other instance committed", async () => {
    const location = sqliteFile();
    const reads: Reads = { loadLeads: 0, writtenSince: 0, removedSince: 0 };
    const [sa, sb] = [await open(location), await open(location, reads)];
    const a = await copyOn(sa);
    await replace(
      a,
      sa,
      Array.from({ length: 50 }, (_, i) => next(i + 1, "Start")),
    );
    const b = await copyOn(sb);
    expect(await a.applyWrite(next(4, "First"))).toBe(true);
    expect(await b.applyWrite(next(5, "Refused: another instance moved on"))).toBe(false);
    Object.assign(reads, { loadLeads: 0, writtenSince: 0, removedSince: 0 });
    await b.refresh();
    expect(reads).toEqual({ loadLeads: 0, writtenSince: 1, removedSince: 0 });
    expect(plain(b)).toEqual(plain(a));
  });
});

describe("refresh across a commit by a server of the previous schema (it stamps nothing)", () => {
  it("reloads every lead, then refreshes by the change again once a commit stamps", async () => {
    const location = sqliteFile();
    const reads: Reads = { loadLeads: 0, writtenSince: 0, removedSince: 0 };
    const [sa, sb] = [await open(location), await open(location, reads)];
    const a = await copyOn(sa);
    await replace(
      a,
      sa,
      [1, 2, 3].map((id) => next(id, "Start")),
    );
    const b = await copyOn(sb);
    // What a server of schema version 4, still running beside the upgraded ones, commits.
    const old = new DatabaseSync((location as { path: string }).path);
    const changed = JSON.stringify(next(2, "Written by the old server"));
    old.prepare("UPDATE leads SET body = ? WHERE scope = ? AND id = 2").run(changed, SCOPE);
    old.prepare("DELETE FROM leads WHERE scope = ? AND id = 3").run(SCOPE);
    old.prepare("UPDATE scopes SET version = version + 1 WHERE scope = ?").run(SCOPE);
    old.close();
    Object.assign(reads, { loadLeads: 0, writtenSince: 0, removedSince: 0 });
    await b.refresh();
    expect(reads.loadLeads).toBe(2);
    expect(b.byId.get(2)?.name).toBe("Written by the old server");
    expect(b.byId.has(3)).toBe(false);

    await a.refresh();
    expect(await a.applyWrite(next(1, "Stamped again"))).toBe(true);
    Object.assign(reads, { loadLeads: 0, writtenSince: 0, removedSince: 0 });
    await b.refresh();
    expect(reads).toEqual({ loadLeads: 0, writtenSince: 1, removedSince: 0 });
    expect(plain(b)).toEqual(plain(a));
  });
});
