import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { setLogLevel } from "../../src/log.js";
import { SCHEMA_VERSION } from "../../src/store/migrations.js";
import {
  type ChangeRow,
  type LeadStore,
  type LeadUpsert,
  type NewChange,
  StoreUnavailableError,
} from "../../src/store/types.js";
import { scopeMarkCases } from "./contract-marks.js";
import { refreshCases } from "./contract-refresh.js";

/**
 * What every LeadStore does, whatever keeps the rows. Run by one file per implementation
 * (sqlite.contract.test.ts, postgres.contract.test.ts). Several tests may share one database, so
 * each test works in scopes of its own (`fresh()`), and the listing checks only those.
 */
export interface ContractOptions {
  /** A store that cannot be used (a garbage file, a server nobody listens on). */
  openBroken?: () => Promise<LeadStore>;
  /** Set: the suite is skipped, for this reason. */
  skip?: string;
}

export const lead = (
  id: number,
  name = `Lead ${id}`,
  updatedAt = "2026-01-01T00:00:00.000Z",
): LeadUpsert => ({
  id,
  updatedAt,
  body: () => JSON.stringify({ id, name }),
});

export const change = (
  leadId: number,
  seenAt: string,
  kind: NewChange["kind"] = "updated",
  origin: NewChange["origin"] = "sync",
  data = "{}",
): NewChange => ({ leadId, seenAt, kind, origin, data });

const seqs = (rows: ChangeRow[]) => rows.map((c) => c.seq);
const ids = (rows: { id: number }[]) => rows.map((l) => l.id);

export function describeLeadStore(
  name: string,
  open: () => Promise<LeadStore>,
  close: (store: LeadStore) => Promise<void>,
  options: ContractOptions = {},
): void {
  const suite = options.skip === undefined ? describe : describe.skip;
  suite(`LeadStore contract: ${name}`, () => {
    const opened: LeadStore[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await close(s);
    });
    async function store(): Promise<LeadStore> {
      const s = await open();
      opened.push(s);
      expect(s.available, s.problem).toBe(true);
      return s;
    }
    /** A scope name no other test uses (tests may share one database). */
    const fresh = (label = "s") => `https://x.mocoapp.com/api/v1#${label}-${randomUUID()}`;

    it("creates a scope once and reads it back; an unknown scope is undefined", async () => {
      const s = await store();
      const scope = fresh();
      expect(await s.getScope(scope)).toBeUndefined();
      const row = await s.ensureScope(scope, "https://x.mocoapp.com/api/v1");
      expect(row).toMatchObject({
        scope,
        baseUrl: "https://x.mocoapp.com/api/v1",
        syncedAt: null,
        cursor: null,
        historyStart: null,
        version: 0,
        lastSeq: 0,
      });
      expect(row.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(await s.ensureScope(scope, "https://other")).toEqual(row);
      expect(await s.getScope(scope)).toEqual(row);
    });

    it("keeps scopes apart: one scope never reads another's leads, changes or stage", async () => {
      const s = await store();
      const [a, b] = [fresh("a"), fresh("b")];
      const ra = await s.ensureScope(a, "https://a");
      const rb = await s.ensureScope(b, "https://a");
      await s.commit(a, {
        expectedVersion: ra.version,
        upserts: [lead(1)],
        deletes: [],
        changes: [change(1, "2026-01-01T00:00:00.000Z", "created")],
      });
      await s.commit(b, { expectedVersion: rb.version, upserts: [lead(2)], deletes: [], changes: [] });
      await s.stagePage(a, { nextPage: 2, total: 5, pages: 1, startedAt: 1 }, [lead(9)]);
      expect(ids(await s.loadLeads(a))).toEqual([1]);
      expect(ids(await s.loadLeads(b))).toEqual([2]);
      expect(await s.changes(b, {})).toEqual([]);
      expect(await s.stagedScan(b)).toBeUndefined();
      expect(await s.loadStaged(b)).toEqual([]);
      expect((await s.getScope(b))?.lastSeq).toBe(0);
    });

    it("refuses a commit made against an older version (another instance committed first), writing nothing", async () => {
      const s = await store();
      const scope = fresh();
      const row = await s.ensureScope(scope, "https://x");
      const first = await s.commit(scope, {
        expectedVersion: row.version,
        upserts: [lead(1)],
        deletes: [],
        changes: [],
      });
      expect(first?.version).toBe(row.version + 1);
      const stale = await s.commit(scope, {
        expectedVersion: row.version,
        upserts: [lead(2)],
        deletes: [1],
        changes: [change(2, "2026-01-02T00:00:00.000Z")],
        syncedAt: "2026-01-02T00:00:00.000Z",
      });
      expect(stale).toBeUndefined();
      expect(ids(await s.loadLeads(scope))).toEqual([1]);
      expect(await s.changes(scope, {})).toEqual([]);
      expect(await s.getScope(scope)).toEqual(first);
      expect(
        await s.commit(fresh("unknown"), { expectedVersion: 0, upserts: [], deletes: [], changes: [] }),
      ).toBe(undefined);
    });

    it("of two commits against the same version sent at once, exactly one is applied", async () => {
      const s = await store();
      const scope = fresh();
      const row = await s.ensureScope(scope, "https://x");
      const results = await Promise.all(
        [1, 2].map((id) =>
          s.commit(scope, {
            expectedVersion: row.version,
            upserts: [lead(id)],
            deletes: [],
            changes: [change(id, "2026-01-01T00:00:00.000Z", "created")],
          }),
        ),
      );
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      expect(await s.loadLeads(scope)).toHaveLength(1);
      expect(seqs(await s.changes(scope, {}))).toEqual([1]);
      expect((await s.getScope(scope))?.version).toBe(row.version + 1);
    });

    it("upserts replace a lead's body, deletes remove it, and each body() is called once", async () => {
      const s = await store();
      const scope = fresh();
      let row = await s.ensureScope(scope, "https://x");
      let calls = 0;
      const counted = (l: LeadUpsert): LeadUpsert => ({
        ...l,
        body: () => {
          calls++;
          return l.body();
        },
      });
      const upserts = [lead(3), lead(1), lead(2, 'Quote " and ünïcödé ✓ \\ back')].map(counted);
      row =
        (await s.commit(scope, { expectedVersion: row.version, upserts, deletes: [], changes: [] })) ?? row;
      expect(calls).toBe(3);
      const next = await s.commit(scope, {
        expectedVersion: row.version,
        upserts: [lead(1, "Renamed", "2026-02-01T00:00:00.000Z"), lead(4)],
        deletes: [3, 99],
        changes: [],
      });
      expect(next?.version).toBe(row.version + 1);
      expect((await s.loadLeads(scope)).map((l) => [l.id, JSON.parse(l.body).name])).toEqual([
        [1, "Renamed"],
        [2, 'Quote " and ünïcödé ✓ \\ back'],
        [4, "Lead 4"],
      ]);
    });

    it("a commit sets the sync time and cursor when given, keeps them otherwise, and sets the history start once", async () => {
      const s = await store();
      const scope = fresh();
      const row = await s.ensureScope(scope, "https://x");
      const one = await s.commit(scope, {
        expectedVersion: row.version,
        upserts: [],
        deletes: [],
        changes: [],
        syncedAt: "2026-01-01T00:00:00.000Z",
        cursor: "2025-12-31T23:59:00Z",
        historyStart: "2026-01-01T00:00:00.000Z",
      });
      expect(one).toMatchObject({
        syncedAt: "2026-01-01T00:00:00.000Z",
        cursor: "2025-12-31T23:59:00Z",
        historyStart: "2026-01-01T00:00:00.000Z",
      });
      const two = await s.commit(scope, {
        expectedVersion: one?.version ?? -1,
        upserts: [],
        deletes: [],
        changes: [],
        historyStart: "2027-01-01T00:00:00.000Z",
      });
      expect(two).toMatchObject({
        syncedAt: "2026-01-01T00:00:00.000Z",
        cursor: "2025-12-31T23:59:00Z",
        historyStart: "2026-01-01T00:00:00.000Z",
        version: row.version + 2,
      });
    });

    it("loads leads by ascending id, paged by afterId and limit", async () => {
      const s = await store();
      const scope = fresh();
      const row = await s.ensureScope(scope, "https://x");
      const all = Array.from({ length: 2500 }, (_, i) => lead(5000 - i * 2));
      await s.commit(scope, { expectedVersion: row.version, upserts: all, deletes: [], changes: [] });
      const loaded = await s.loadLeads(scope);
      expect(loaded).toHaveLength(2500);
      expect(ids(loaded)).toEqual(ids(all).sort((x, y) => x - y));
      expect(JSON.parse(loaded[0]?.body ?? "")).toEqual({ id: 2, name: "Lead 2" });
      const pages: number[][] = [];
      let afterId: number | undefined;
      for (;;) {
        const page = await s.loadLeads(scope, { afterId, limit: 1000 });
        if (page.length === 0) break;
        pages.push(ids(page));
        afterId = page.at(-1)?.id;
      }
      expect(pages.map((p) => p.length)).toEqual([1000, 1000, 500]);
      expect(pages.flat()).toEqual(ids(loaded));
      expect(ids(await s.loadLeads(scope, { afterId: 4996 }))).toEqual([4998, 5000]);
      expect(await s.loadLeads(scope, { limit: 0 })).toEqual([]);
      expect(await s.loadLeads(fresh("none"))).toEqual([]);
    });

    it("numbers changes per scope across commits and answers every ChangeQuery option", async () => {
      const s = await store();
      const scope = fresh();
      let row = await s.ensureScope(scope, "https://x");
      const commit = async (changes: NewChange[]) => {
        row =
          (await s.commit(scope, { expectedVersion: row.version, upserts: [], deletes: [], changes })) ?? row;
      };
      await commit([
        change(1, "2025-01-01T00:00:00.000Z", "created", "sync", '{"id":1}'),
        change(2, "2025-06-01T00:00:00.000Z", "updated", "own", '[{"field":"name"}]'),
      ]);
      await commit([
        change(1, "2025-06-01T00:00:00.000Z", "deleted"),
        change(3, "2026-01-01T00:00:00.000Z"),
        change(1, "2026-02-01T00:00:00.000Z"),
      ]);
      expect(row.lastSeq).toBe(5);
      const all = await s.changes(scope, {});
      expect(all[1]).toEqual({
        seq: 2,
        leadId: 2,
        seenAt: "2025-06-01T00:00:00.000Z",
        kind: "updated",
        origin: "own",
        data: '[{"field":"name"}]',
      });
      expect(seqs(all)).toEqual([1, 2, 3, 4, 5]);
      expect(seqs(await s.changes(scope, { leadId: 1 }))).toEqual([1, 3, 5]);
      expect(seqs(await s.changes(scope, { seenAfter: "2025-06-01T00:00:00.000Z" }))).toEqual([4, 5]);
      expect(seqs(await s.changes(scope, { seenUntil: "2025-06-01T00:00:00.000Z" }))).toEqual([1, 2, 3]);
      expect(seqs(await s.changes(scope, { afterSeq: 1, limit: 1 }))).toEqual([2]);
      expect(seqs(await s.changes(scope, { afterSeq: 5 }))).toEqual([]);
      expect(seqs(await s.changes(scope, { order: "desc" }))).toEqual([5, 4, 3, 2, 1]);
      expect(seqs(await s.changes(scope, { order: "desc", limit: 2 }))).toEqual([5, 4]);
      expect(seqs(await s.changes(scope, { limit: 0 }))).toEqual([]);
      expect(
        seqs(
          await s.changes(scope, {
            seenAfter: "2025-01-01T00:00:00.000Z",
            seenUntil: "2026-01-01T00:00:00.000Z",
            afterSeq: 2,
            leadId: 1,
            order: "asc",
            limit: 5,
          }),
        ),
      ).toEqual([3]);
    });

    it("prunes changes seen before a time and moves the history start there (never back, never from null)", async () => {
      const s = await store();
      const scope = fresh();
      const row = await s.ensureScope(scope, "https://x");
      await s.commit(scope, {
        expectedVersion: row.version,
        upserts: [],
        deletes: [],
        changes: [
          change(1, "2025-01-01T00:00:00.000Z"),
          change(2, "2025-06-01T00:00:00.000Z"),
          change(1, "2026-01-01T00:00:00.000Z"),
        ],
        syncedAt: "2026-01-01T00:00:00.000Z",
        historyStart: "2024-12-31T00:00:00.000Z",
      });
      expect(await s.prune(scope, "2025-03-01T00:00:00.000Z")).toBe(1);
      expect((await s.getScope(scope))?.historyStart).toBe("2025-03-01T00:00:00.000Z");
      expect(seqs(await s.changes(scope, {}))).toEqual([2, 3]);
      expect(await s.prune(scope, "2025-02-01T00:00:00.000Z")).toBe(0);
      expect((await s.getScope(scope))?.historyStart).toBe("2025-03-01T00:00:00.000Z");
      const other = fresh("nohistory");
      await s.ensureScope(other, "https://x");
      expect(await s.prune(other, "2025-03-01T00:00:00.000Z")).toBe(0);
      expect((await s.getScope(other))?.historyStart).toBeNull();
    });

    it("a sync lease is held by one owner until released or expired", async () => {
      const s = await store();
      const scope = fresh();
      await s.ensureScope(scope, "https://x");
      expect(await s.acquireLease(scope, "one", 60_000)).toBe(true);
      expect(await s.acquireLease(scope, "one", 60_000)).toBe(true); // renewal
      expect(await s.acquireLease(scope, "two", 60_000)).toBe(false);
      await s.releaseLease(scope, "two"); // not the owner: no effect
      expect(await s.acquireLease(scope, "two", 60_000)).toBe(false);
      await s.releaseLease(scope, "one");
      expect(await s.acquireLease(scope, "two", -1)).toBe(true);
      expect(await s.acquireLease(scope, "one", 60_000)).toBe(true); // two's lease had expired
      expect(await s.acquireLease(fresh("unknown"), "one", 60_000)).toBe(false);
    });

    it("a claim is held by its one caller until given back or past its time, when it may be claimed again", async () => {
      const s = await store();
      const key = `k-${randomUUID()}`;
      const later = Date.now() + 60_000;
      expect(await s.claim(key, later)).toBe(true);
      expect(await s.claim(key, later)).toBe(false);
      expect(await s.claim(key, later + 60_000)).toBe(false); // a later time does not take it over
      await s.unclaim(`k-${randomUUID()}`); // another key: no effect
      expect(await s.claim(key, later)).toBe(false);
      await s.unclaim(key);
      expect(await s.claim(key, later)).toBe(true);
      const past = `k-${randomUUID()}`;
      expect(await s.claim(past, Date.now() - 1000)).toBe(true);
      expect(await s.claim(past, later)).toBe(true); // its record was past its time
      expect(await s.claim(past, later)).toBe(false);
      await s.unclaim(`k-${randomUUID()}`); // never claimed: no effect, no error
    });

    it("of many claims of one key sent at once, exactly one is true", async () => {
      const s = await store();
      const key = `k-${randomUUID()}`;
      const until = Date.now() + 60_000;
      const answers = await Promise.all(Array.from({ length: 24 }, () => s.claim(key, until)));
      expect(answers.filter(Boolean)).toHaveLength(1);
      expect(answers).toHaveLength(24);
    });

    it("stages a full scan page by page, unseen by readers, and a commit from the stage replaces the leads", async () => {
      const s = await store();
      const scope = fresh();
      let row = await s.ensureScope(scope, "https://x");
      row =
        (await s.commit(scope, {
          expectedVersion: row.version,
          upserts: [lead(1), lead(7)],
          deletes: [],
          changes: [],
        })) ?? row;
      expect(await s.stagedScan(scope)).toBeUndefined();
      await s.stagePage(scope, { nextPage: 2, total: 4, pages: 1, startedAt: 1000 }, [lead(3), lead(2)]);
      await s.stagePage(scope, { nextPage: null, total: 5, pages: 2, startedAt: 2000 }, [
        lead(5),
        lead(2, "Again"),
      ]);
      expect(await s.stagedScan(scope)).toEqual({ nextPage: null, total: 5, pages: 2, startedAt: 1000 });
      expect(ids(await s.loadStaged(scope))).toEqual([2, 3, 5]);
      expect(ids(await s.loadStaged(scope, { afterId: 2, limit: 1 }))).toEqual([3]);
      expect(ids(await s.loadLeads(scope))).toEqual([1, 7]);
      const done = await s.commit(scope, {
        expectedVersion: row.version,
        upserts: [lead(6)],
        deletes: [3],
        changes: [],
        fromStage: true,
      });
      expect(done?.version).toBe(row.version + 1);
      expect((await s.loadLeads(scope)).map((l) => [l.id, JSON.parse(l.body).name])).toEqual([
        [2, "Again"],
        [5, "Lead 5"],
        [6, "Lead 6"],
      ]);
      expect(await s.stagedScan(scope)).toBeUndefined();
      expect(await s.loadStaged(scope)).toEqual([]);
    });

    it("clears a stage without touching the leads", async () => {
      const s = await store();
      const scope = fresh();
      const row = await s.ensureScope(scope, "https://x");
      await s.commit(scope, { expectedVersion: row.version, upserts: [lead(1)], deletes: [], changes: [] });
      await s.stagePage(scope, { nextPage: 2, total: null, pages: 1, startedAt: 5 }, [lead(2)]);
      expect(await s.stagedScan(scope)).toEqual({ nextPage: 2, total: null, pages: 1, startedAt: 5 });
      await s.clearStage(scope);
      expect(await s.stagedScan(scope)).toBeUndefined();
      expect(await s.loadStaged(scope)).toEqual([]);
      expect(ids(await s.loadLeads(scope))).toEqual([1]);
    });

    it("describes its scopes (leads, changes, oldest change) and deletes one scope's data", async () => {
      const s = await store();
      const [a, b] = [fresh("a"), fresh("b")].sort();
      for (const scope of [a, b] as string[]) {
        const row = await s.ensureScope(scope, "https://x");
        await s.commit(scope, {
          expectedVersion: row.version,
          upserts: [lead(1), lead(2)],
          deletes: [],
          changes: [
            change(1, "2026-02-01T00:00:00.000Z", "deleted", "own"),
            change(2, "2026-03-01T00:00:00.000Z"),
          ],
          syncedAt: "2026-03-01T00:00:00.000Z",
        });
      }
      await s.stagePage(a as string, { nextPage: 2, total: 3, pages: 1, startedAt: 1 }, [lead(3)]);
      const info = await s.describe();
      expect(info.where).toBe(s.where);
      expect(info.schemaVersion).toBe(SCHEMA_VERSION);
      expect(info.sizeBytes).toBeGreaterThanOrEqual(0);
      const mine = info.scopes.filter((x) => x.scope === a || x.scope === b);
      expect(mine).toEqual(
        [a, b].map((scope) => ({
          scope,
          baseUrl: "https://x",
          leads: 2,
          changes: 2,
          syncedAt: "2026-03-01T00:00:00.000Z",
          historyStart: null,
          oldestChange: "2026-02-01T00:00:00.000Z",
        })),
      );
      expect(await s.deleteScope(a as string)).toBe(true);
      expect(await s.deleteScope(a as string)).toBe(false);
      const after = (await s.describe()).scopes.map((x) => x.scope);
      expect(after).toContain(b);
      expect(after).not.toContain(a);
      expect(await s.loadLeads(a as string)).toEqual([]);
      expect(await s.changes(a as string, {})).toEqual([]);
      expect(await s.stagedScan(a as string)).toBeUndefined();
      expect(await s.getScope(a as string)).toBeUndefined();
      expect(ids(await s.loadLeads(b as string))).toEqual([1, 2]);
    });

    it("a closed store is unavailable and refuses every call", async () => {
      const s = await open();
      expect(s.available).toBe(true);
      await s.close();
      expect(s.available).toBe(false);
      await expect(s.getScope(fresh())).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.loadLeads(fresh())).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.claim("k", Date.now() + 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
      await s.close(); // twice is harmless
    });

    scopeMarkCases(store, fresh);
    refreshCases(store, fresh);

    const { openBroken } = options;
    if (openBroken)
      it("a store that cannot be used: one warning, unavailable with a reason, every call refused", async () => {
        const stderr: string[] = [];
        setLogLevel("warn");
        vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
          stderr.push(String(chunk));
          return true;
        });
        try {
          const s = await openBroken();
          opened.push(s);
          expect(s.available).toBe(false);
          expect(s.problem).toMatch(/cannot be used/);
          const scope = fresh();
          const calls: (() => Promise<unknown>)[] = [
            () => s.getScope(scope),
            () => s.ensureScope(scope, "https://x"),
            () => s.loadLeads(scope),
            () => s.commit(scope, { expectedVersion: 0, upserts: [], deletes: [], changes: [] }),
            () => s.changes(scope, {}),
            () => s.stagedScan(scope),
            () => s.stagePage(scope, { nextPage: 1, total: 1, pages: 1, startedAt: 1 }, []),
            () => s.loadStaged(scope),
            () => s.clearStage(scope),
            () => s.prune(scope, "2026-01-01T00:00:00.000Z"),
            () => s.markUnsure(scope),
            () => s.acquireLease(scope, "me", 1000),
            () => s.releaseLease(scope, "me"),
            () => s.describe(),
            () => s.deleteScope(scope),
            () => s.claim("k", Date.now() + 1000),
            () => s.unclaim("k"),
          ];
          for (const call of calls) await expect(call()).rejects.toBeInstanceOf(StoreUnavailableError);
          expect(stderr.filter((line) => line.includes("lead store"))).toHaveLength(1);
        } finally {
          vi.restoreAllMocks();
          setLogLevel("error");
        }
      });
  });
}
