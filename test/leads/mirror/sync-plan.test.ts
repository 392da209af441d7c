import { afterEach, describe, expect, it } from "vitest";
import { LeadMirror } from "../../../src/leads/mirror/index.js";
import { planSync, type SyncPlan } from "../../../src/leads/sync.js";
import type { MocoClient } from "../../../src/moco/client.js";
import type { ScanGap } from "../../../src/moco/scan.js";
import type { Lead } from "../../../src/moco/schemas.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../../src/sandbox/index.js";
import { openStore } from "../../../src/store/index.js";
import type { LeadStore } from "../../../src/store/types.js";
import { apiLeads, makeClient, startEnv } from "../../support/mirror-helpers.js";

/**
 * Which sync planSync makes (full or delta) for which copy and which MOCO, and when it says the copy
 * it makes will not agree with MOCO (its gap): the sandbox over real TCP, the real client, a real
 * (in-memory) store for the staged first scan. Nothing is committed: a plan is only what was read.
 */
const KEY = "sync-plan-key-7d2e4a";
const LEADS = 264; // three pages of 100

const open: { sandbox: Sandbox; moco: MocoClient; store: LeadStore }[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.store.close();
    await o.moco.close();
    await o.sandbox.close();
  }
  for (const close of closers.splice(0)) await close();
});

/** Leads named by a row's setup, for its expectations. */
interface Named {
  changed?: number;
  deleted?: number[];
  created?: number;
  /** In MOCO, left out of the copy handed to planSync. */
  lacking?: number;
}

interface Row {
  name: string;
  sandbox?: SandboxOptions;
  /** none: the first sync (no cursor); in step: a copy of MOCO as it stood, its newest updated_at the cursor. */
  copy: "none" | "in step";
  /** The gap the copy carries from its last sync. */
  gap?: ScanGap;
  /** Changes in MOCO before the sync, after the copy was taken. */
  before?: (s: Sandbox, named: Named) => void;
  /** Told after each of the sync's requests ("full", "delta", "count", "ids"), to change MOCO under it. */
  during?: (s: Sandbox, named: Named) => (what: string) => void;
  want: {
    kind: SyncPlan["kind"];
    /** Reads of every page of MOCO's list, and delta reads (updated_after), the sync made. */
    reads: { scans: number; deltas: number };
    staged: boolean;
    /** The leads read besides the stage; absent: not checked (the row is about something else). */
    fetched?: "none" | "every lead MOCO holds" | ((n: Named, s: Sandbox) => number[]);
    /** Absent: not checked (the row is about something else). */
    deleted?: (n: Named) => number[];
    gap?: "moved" | { kind: "count"; read: number; counted: number; reread?: boolean };
  };
}

const byId = (s: Sandbox) => [...s.store.deals].sort((a, b) => a.id - b.id);

function deleteNth(s: Sandbox, n: number, named: Named): void {
  const victim = byId(s)[n];
  if (!victim) throw new Error("no such lead");
  s.store.deleteDeal(victim);
  named.deleted = [...(named.deleted ?? []), victim.id];
}

/** Deletes the 4th lead by id right after page 1 of a full scan was read (`times` scans), shifting page 2. */
const deleteAfterPage1 =
  (times: number) =>
  (s: Sandbox, named: Named) =>
  (what: string): void => {
    const last = s.requests.at(-1);
    const page = new URLSearchParams(last?.query).get("page");
    if (what !== "full" || page !== "1" || (named.deleted?.length ?? 0) >= times) return;
    deleteNth(s, 3, named);
  };

const rows: Row[] = [
  {
    name: "no cursor yet: a full scan, staged in the store",
    copy: "none",
    want: { kind: "full", reads: { scans: 1, deltas: 0 }, staged: true, fetched: "none", deleted: () => [] },
  },
  {
    name: "no cursor, MOCO sends no X-Total: a full scan, no deletion check and no count to disagree with",
    sandbox: { omitHeaders: ["X-Total"] },
    copy: "none",
    want: { kind: "full", reads: { scans: 1, deltas: 0 }, staged: true, fetched: "none", deleted: () => [] },
  },
  {
    name: "a copy in step, nothing changed since: a delta that reads nothing",
    copy: "in step",
    want: {
      kind: "delta",
      reads: { scans: 0, deltas: 1 },
      staged: false,
      fetched: "none",
      deleted: () => [],
    },
  },
  {
    name: "a lead changed after the cursor: a delta reads just that lead",
    copy: "in step",
    before: (s, named) => {
      const deal = byId(s)[10];
      if (!deal || !s.store.updateDeal(deal, { name: "Changed after the cursor" }).ok)
        throw new Error("edit");
      named.changed = deal.id;
    },
    want: {
      kind: "delta",
      reads: { scans: 0, deltas: 1 },
      staged: false,
      fetched: (n) => [n.changed as number],
      deleted: () => [],
    },
  },
  {
    name: "a lead deleted in MOCO: a delta, and MOCO's lower count leads to the deleted lead",
    copy: "in step",
    before: (s, named) => deleteNth(s, 150, named),
    want: {
      kind: "delta",
      reads: { scans: 0, deltas: 1 },
      staged: false,
      fetched: "none",
      deleted: (n) => n.deleted ?? [],
    },
  },
  {
    name: "a lead deleted, MOCO sends no X-Total: a delta, deletions found by checking every id",
    sandbox: { omitHeaders: ["X-Total"] },
    copy: "in step",
    before: (s, named) => deleteNth(s, 150, named),
    want: {
      kind: "delta",
      reads: { scans: 0, deltas: 1 },
      staged: false,
      fetched: "none",
      deleted: (n) => n.deleted ?? [],
    },
  },
  {
    name: "a lead created between the delta and the count: the count is short, a second delta reads it",
    copy: "in step",
    during: (s, named) => (what) => {
      if (what !== "delta" || named.created !== undefined) return;
      const made = s.store.createDeal({
        name: "Created while the sync ran",
        currency: "EUR",
        money: 100,
        reminder_date: s.store.today,
        user_id: s.store.profileUserId,
        deal_category_id: s.store.categories[0]?.id,
      });
      if (!made.ok) throw new Error("create");
      named.created = made.value.id;
    },
    want: {
      kind: "delta",
      reads: { scans: 0, deltas: 2 },
      staged: false,
      fetched: (n) => [n.created as number],
      deleted: () => [],
    },
  },
  {
    name: "the copy lacks a lead older than the cursor: the count stays short after a second delta, so all is read again",
    copy: "in step",
    before: (s, named) => {
      named.lacking = byId(s)[42]?.id;
    },
    want: {
      kind: "full",
      reads: { scans: 1, deltas: 2 },
      staged: false,
      fetched: "every lead MOCO holds",
      deleted: () => [],
    },
  },
  {
    name: "the copy's last full read moved under it (its gap): all is read again though the counts agree",
    copy: "in step",
    gap: { kind: "moved", drift: { from: LEADS + 1, to: LEADS, repeated: 0 }, read: LEADS, counted: LEADS },
    want: {
      kind: "full",
      reads: { scans: 1, deltas: 1 },
      staged: false,
      fetched: "every lead MOCO holds",
      deleted: () => [],
    },
  },
  {
    name: "a lead deleted while the first scan reads its pages: read again, calm, the deleted lead found",
    copy: "none",
    during: deleteAfterPage1(1),
    want: {
      kind: "full",
      reads: { scans: 2, deltas: 0 },
      staged: true,
      fetched: "every lead MOCO holds",
      deleted: (n) => n.deleted ?? [],
    },
  },
  {
    name: "MOCO's list moves under every scan: after two re-reads the plan says the copy moved",
    copy: "none",
    during: deleteAfterPage1(3),
    want: { kind: "full", reads: { scans: 3, deltas: 0 }, staged: true, gap: "moved" },
  },
  {
    name: "MOCO's last page comes back empty on every read: read again once, then the plan says how many are missing",
    sandbox: {
      faults: [
        {
          kind: "status",
          status: 200,
          body: [],
          method: "GET",
          path: "/deals",
          query: "page=3&per_page=100",
          times: Number.POSITIVE_INFINITY,
        },
      ],
    },
    copy: "none",
    want: {
      kind: "full",
      reads: { scans: 2, deltas: 0 },
      staged: true,
      // The re-read: pages 1 and 2 again.
      fetched: (_n, s) =>
        byId(s)
          .slice(0, 200)
          .map((d) => d.id),
      deleted: () => [],
      gap: { kind: "count", read: 200, counted: LEADS, reread: true },
    },
  },
];

async function plan(row: Row) {
  const sandbox = await startSandbox({ apiKey: KEY, leads: LEADS, ...row.sandbox });
  const moco = makeClient(sandbox);
  const store = await openStore({ kind: "memory" });
  open.push({ sandbox, moco, store });
  await store.ensureScope(moco.scope, sandbox.url);
  const inStep = apiLeads(sandbox);
  const named: Named = {};
  row.before?.(sandbox, named);
  const copy = row.copy === "none" ? [] : inStep.filter((l) => l.id !== named.lacking);
  const during = row.during?.(sandbox, named);
  const reads = { scans: 0, deltas: 0 };
  const cursor = row.copy === "none" ? null : newest(inStep);
  const result = await planSync({
    moco,
    store,
    scope: moco.scope,
    current: new Map(copy.map((l) => [l.id, l])),
    cursor,
    overlapMs: 0,
    reads: {
      pageWaitMs: 10_000,
      onRequest: (what) => {
        const page = new URLSearchParams(sandbox.requests.at(-1)?.query).get("page");
        if (what === "full" && page === "1") reads.scans++;
        if (what === "delta") reads.deltas++;
        during?.(what);
      },
    },
    progress: () => undefined,
    rescan: {},
    keep: (lead) => lead,
    gap: row.gap,
  });
  return { sandbox, named, copy, cursor, result, reads };
}

/** MOCO's newest updated_at among `leads` (its timestamps sort as text). */
const newest = (leads: readonly Lead[]) =>
  leads
    .map((l) => l.updated_at)
    .sort()
    .at(-1) ?? null;
const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

describe("planSync: which sync for which copy, and when its copy will not agree with MOCO", () => {
  it.each(rows)("$name", async (row) => {
    const { sandbox, named, copy, cursor, result, reads } = await plan(row);
    const moco = sorted(sandbox.store.deals.map((d) => d.id));
    expect(result.kind).toBe(row.want.kind);
    expect(reads).toEqual(row.want.reads);
    expect(result.staged !== undefined).toBe(row.want.staged);
    const { fetched } = row.want;
    if (fetched !== undefined) {
      const wanted =
        fetched === "none" ? [] : fetched === "every lead MOCO holds" ? moco : fetched(named, sandbox);
      expect(sorted(result.fetched.keys())).toEqual(sorted(wanted));
    }
    if (row.want.deleted) expect(sorted(result.deleted)).toEqual(sorted(row.want.deleted(named)));

    // The copy this plan makes: the stage (or the copy it began with) and what it read, less the deleted.
    const made = new Set([...(result.staged?.keys() ?? copy.map((l) => l.id)), ...result.fetched.keys()]);
    for (const id of result.deleted) made.delete(id);
    const { gap } = row.want;
    if (gap === undefined) {
      expect(result.gap).toBeUndefined();
      expect(sorted(made)).toEqual(moco);
    } else if (gap === "moved") {
      expect(result.gap).toMatchObject({ kind: "moved", read: made.size, counted: moco.length });
    } else {
      expect(result.gap).toEqual(gap);
      expect(made.size).toBe(gap.read);
    }
    // The next delta starts at MOCO's clock, never behind the cursor it began with.
    if (cursor === null) expect(result.cursor).not.toBeNull();
    else expect(Date.parse(result.cursor ?? "")).toBeGreaterThanOrEqual(Date.parse(cursor));
  });
});

/** The sync a mirror's read makes first, if any: the freshness window and writes of unknown outcome decide. */
type Sync = "none" | "delta" | "full";

const readRows: {
  name: string;
  /** What happens after the mirror's first read (a full sync), before the read looked at. */
  after?: (env: Awaited<ReturnType<typeof startEnv>>) => Promise<void> | void;
  /** The first read itself is the one looked at. */
  first?: boolean;
  maxAgeMs?: number;
  want: Sync;
}[] = [
  { name: "a mirror never synced: a full sync", first: true, want: "full" },
  { name: "synced within the freshness window: none", want: "none" },
  { name: "a window of 0 ms: a delta", maxAgeMs: 0, want: "delta" },
  {
    name: "synced within the window, but older than the read's own window: a delta",
    after: () => new Promise((r) => setTimeout(r, 30)),
    maxAgeMs: 20,
    want: "delta",
  },
  {
    name: "within the window, but a write of unknown outcome since: a delta",
    after: (env) => env.moco.reportUncertain({ method: "POST", path: "/deals" }),
    want: "delta",
  },
];

describe("a mirror's read: which sync it makes first (none, delta or full)", () => {
  it.each(readRows)("$name", async ({ after, first, maxAgeMs, want }) => {
    const env = await startEnv({ mirror: { freshMs: 3_600_000 } });
    closers.push(() => env.close());
    if (!first) {
      expect((await env.mirror.read()).sync?.kind).toBe("full");
      await after?.(env);
    }
    const before = env.dealRequests();
    const read = await env.mirror.read(maxAgeMs === undefined ? {} : { maxAgeMs });
    expect(read.sync?.kind ?? "none").toBe(want);
    expect(env.dealRequests() > before).toBe(want !== "none");
    expect(read.leads.map((l) => l.id)).toEqual(apiLeads(env.sandbox).map((l) => l.id));
  });

  it("a copy synced before a write of unknown outcome that came before the mirror listened: a delta", async () => {
    const env = await startEnv({ mirror: { freshMs: 3_600_000 } });
    closers.push(() => env.close());
    await env.mirror.read();
    env.moco.reportUncertain({ method: "POST", path: "/deals" });
    // Another mirror of the same store and client (as after the registry let the first go), built later.
    const later = new LeadMirror({ store: env.store, moco: env.moco, freshMs: 3_600_000 });
    closers.push(async () => later.close());
    expect((await later.read()).sync?.kind).toBe("delta");
    expect((await later.read()).sync).toBeUndefined();
  });
});
