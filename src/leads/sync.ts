import type { MocoClient } from "../moco/client.js";
import { nextPage } from "../moco/pages.js";
import { type Drift, driftOf, newWatch, type PageWatch, type ScanGap, watchPage } from "../moco/scan.js";
import type { Lead } from "../moco/schemas.js";
import type { LeadStore, StagedScan, StoredLead } from "../store/types.js";
import { type Deletions, findDeletions } from "./deletions.js";
import {
  countLeads,
  PAGE_SIZE,
  page,
  readChangedSince,
  type SyncReadOptions,
  timestamp,
} from "./sync-reads.js";

/**
 * What a mirror sync reads of MOCO, and what follows from it (planSync); no commit here. The single
 * requests are in sync-reads.ts, the search for deleted leads in deletions.ts.
 */
export { PAGE_SIZE, type SyncReadOptions } from "./sync-reads.js";

/** At most this many re-scans in one sync after a scan MOCO's list moved under (each reads every page). */
const MAX_RESCANS = 2;

/**
 * Where a full scan stands, kept by the caller between attempts: an interrupted scan (reset, 429,
 * timeout, abort) goes on from `nextPage`. Ids de-duplicate leads that moved between pages meanwhile;
 * `watch` (in memory only: a scan resumed after a restart checks X-Total from its stored `total` on)
 * tells whether MOCO's list moved while it was read.
 */
export interface ScanState extends StagedScan {
  watch?: PageWatch;
}

export function newScan(): ScanState {
  return { nextPage: 1, total: null, pages: 0, startedAt: Date.now() };
}

/** A watch for a scan that may have read pages before (resumed from the store: from its last X-Total on). */
function watchFrom(scan: ScanState): PageWatch {
  const watch = newWatch();
  if (scan.pages > 0) watchPage(watch, [], scan.total);
  return watch;
}

/** How the scan's pages moved, if they did (see PageWatch). */
export const scanDrift = (scan: ScanState): Drift | undefined =>
  scan.watch ? driftOf(scan.watch) : undefined;

/** Reads the remaining pages of a full scan, handing each to `onPage` after `scan` moved past it. */
export async function runFullScan(
  moco: MocoClient,
  scan: ScanState,
  options: SyncReadOptions,
  onPage: (leads: Lead[], scan: ScanState) => Promise<void> | void,
): Promise<void> {
  scan.watch ??= watchFrom(scan);
  const { watch } = scan;
  while (scan.nextPage !== null) {
    const at = scan.nextPage;
    const result = await page(moco, { page: at, per_page: PAGE_SIZE }, options, "full");
    scan.total = result.page.total;
    scan.pages++;
    scan.nextPage = nextPage(at, result.leads.length, result.page, PAGE_SIZE);
    await onPage(result.leads, scan);
    // Watched once kept: a page whose staging failed is read again, which is no repeat.
    watchPage(
      watch,
      result.leads.map((l) => l.id),
      result.page.total,
    );
  }
}

// ------------------------------------------------------------------------------------------ the plan

export type Progress = (done: number, total: number | undefined, message: string) => void;

export interface PlanInput {
  moco: MocoClient;
  store: LeadStore;
  scope: string;
  /** The mirror as it is. */
  current: ReadonlyMap<number, Lead>;
  /** null: no sync yet, so a full one (staged in the store page by page). */
  cursor: string | null;
  overlapMs: number;
  reads: SyncReadOptions;
  progress: Progress;
  /**
   * An interrupted in-memory re-scan, and the watch of an interrupted staged scan (the stage keeps
   * only its pages), kept between attempts; the caller clears them after a commit.
   */
  rescan: { state?: ScanState; leads?: Map<number, Lead>; stagedWatch?: PageWatch };
  /** Told as a first sync's full scan reads its pages: MOCO's count, and the requests it will take in all. */
  onScan?: (total: number | null, expected: number | undefined) => void;
  /** Applied to every lead loaded from the stage (shares equal parts). */
  keep: (lead: Lead) => Lead;
  /**
   * The gap of the copy as it stands. A list that moved under the last full read may hold a deleted
   * lead and lack a live one while the counts agree: a delta cannot see that, so the copy is read
   * again, as after a move in this sync.
   */
  gap?: ScanGap;
}

export interface SyncPlan {
  kind: "full" | "delta";
  /** First sync: every lead, as staged. */
  staged: Map<number, Lead> | undefined;
  /** Leads read besides the stage: the changed ones (delta), or all of a re-scan's. */
  fetched: Map<number, Lead>;
  /** Leads MOCO confirmed deleted. */
  deleted: number[];
  cursor: string | null;
  /**
   * Set when the copy this plan makes will not agree with MOCO: as many leads as MOCO counts could
   * not be read, or MOCO's list kept moving under every scan. Such a copy is never called complete.
   */
  gap?: ScanGap;
}

/**
 * Every lead of a stored table, parsed, in batches by id: 20,000 JSON texts are never held at once next
 * to the parsed leads. Small batches keep V8's heap from growing to hold a batch's garbage (measured at
 * 20,000 leads: 1,000 per batch +34.7 MB of RSS, 200 +30.1 MB, fewer no better; load time the same).
 */
export async function loadAll(
  read: (page: { afterId: number; limit: number }) => Promise<StoredLead[]>,
  keep: (lead: Lead) => Lead,
): Promise<Map<number, Lead>> {
  const batch = 200;
  const leads = new Map<number, Lead>();
  for (let afterId = -1; ; ) {
    const rows = await read({ afterId, limit: batch });
    for (const r of rows) leads.set(r.id, keep(JSON.parse(r.body) as Lead));
    const last = rows.at(-1);
    if (!last || rows.length < batch) return leads;
    afterId = last.id;
  }
}

/**
 * Everything a sync reads from MOCO, and what follows from it; nothing is committed here. First a full
 * scan (staged) or a delta, then the live count: fewer leads than MOCO counts means one created since
 * the delta (a second delta finds it) or one a scan missed when a deletion shifted MOCO's pages (a
 * re-scan finds it); more means deletions (deletions.ts, each confirmed by id). A scan whose pages moved (X-Total changed, a
 * lead came twice) may have missed a lead and kept a deleted one while the counts agree: it is read
 * again, while it keeps moving at most MAX_RESCANS times; the union of the reads, less what MOCO
 * confirms deleted, is then checked against the count once more. The plan's `gap` is a last read
 * that still moved (agreeing counts prove nothing then), else a count that still does not agree.
 */
export async function planSync(input: PlanInput): Promise<SyncPlan> {
  const { moco, reads, progress } = input;
  const first = input.cursor === null;
  const fetched = new Map<number, Lead>();
  let kind: SyncPlan["kind"] = first ? "full" : "delta";
  let startedAt = Date.now();
  let staged: Map<number, Lead> | undefined;
  // How the latest read of every lead moved under it; undefined: it did not, or there was none.
  let drift: Drift | undefined = input.gap?.kind === "moved" ? input.gap.drift : undefined;
  if (first) {
    const scan = await stagedScan(input);
    staged = scan.leads;
    startedAt = scan.startedAt;
    drift = scan.drift;
  } else {
    progress(0, undefined, "Checking MOCO for changed leads");
    await readDelta(input, input.cursor as string, fetched);
  }
  const base: ReadonlyMap<number, Lead> = staged ?? input.current;
  const size = () => projectedSize(base, fetched);
  let live = await countLeads(moco, reads);
  if (live !== null && size() < live && !first) {
    await readDelta(input, maxUpdated(fetched.values(), input.cursor) as string, fetched);
    live = await countLeads(moco, reads);
  }
  let reread = false;
  for (let rescans = 0; rescans < MAX_RESCANS; rescans++) {
    // A short copy is read again once (a persistent shortfall is MOCO's paging); a moving one while it moves.
    const short = live !== null && size() < live && rescans === 0;
    if (!short && drift === undefined) break;
    kind = "full";
    reread = true;
    if (rescans > 0) input.rescan.state = input.rescan.leads = undefined;
    input.rescan.state ??= newScan();
    startedAt = Math.min(startedAt, input.rescan.state.startedAt);
    drift = await memoryScan(input, fetched);
    live = await countLeads(moco, reads);
  }
  const { deleted, unconfirmed } = await deletions(input, base, fetched, live, first);
  const held = size() - deleted.length;
  const gap: ScanGap | undefined = drift
    ? { kind: "moved", drift, read: held, counted: live }
    : live !== null && held !== live
      ? { kind: "count", read: held, counted: live, reread, ...(unconfirmed ? { why: unconfirmed } : {}) }
      : undefined;
  const seen = first ? [...base.values(), ...fetched.values()] : fetched.values();
  const cursor = nextCursor(seen, input.cursor, Math.max(0, Date.now() - startedAt));
  return { kind, staged, fetched, deleted, cursor, ...(gap ? { gap } : {}) };
}

async function readDelta(input: PlanInput, cursor: string, into: Map<number, Lead>): Promise<void> {
  const since = timestamp(Date.parse(cursor) - input.overlapMs);
  for (const lead of await readChangedSince(input.moco, since, input.reads)) into.set(lead.id, lead);
}

/** The first full scan, each page written to the store's stage as it arrives (resumable across restarts). */
async function stagedScan(
  input: PlanInput,
): Promise<{ leads: Map<number, Lead>; startedAt: number; drift: Drift | undefined }> {
  const { store, scope, progress } = input;
  const scan: ScanState = (await store.stagedScan(scope)) ?? newScan();
  if (scan.pages === 0) input.rescan.stagedWatch = undefined;
  input.rescan.stagedWatch ??= watchFrom(scan);
  scan.watch = input.rescan.stagedWatch;
  progress(scan.pages, expected(scan), "Reading all leads from MOCO");
  input.onScan?.(scan.total, expected(scan));
  await runFullScan(input.moco, scan, input.reads, async (leads, state) => {
    const rows = leads.map((l) => ({ id: l.id, updatedAt: l.updated_at, body: () => JSON.stringify(l) }));
    await store.stagePage(scope, state, rows);
    input.onScan?.(state.total, expected(state));
    progress(
      state.pages,
      expected(state),
      `Read ${state.pages} of ${expected(state) ?? "?"} pages from MOCO`,
    );
  });
  const leads = await loadAll((page) => store.loadStaged(scope, page), input.keep);
  return { leads, startedAt: scan.startedAt, drift: scanDrift(scan) };
}

/**
 * A re-scan merged into `fetched`; kept in memory between attempts (rare: after a shifted scan).
 * Returns how its pages moved, if they did.
 */
async function memoryScan(input: PlanInput, fetched: Map<number, Lead>): Promise<Drift | undefined> {
  const state = input.rescan.state ?? newScan();
  const leads = input.rescan.leads ?? new Map<number, Lead>();
  input.rescan.state = state;
  input.rescan.leads = leads;
  await runFullScan(input.moco, state, input.reads, (page, s) => {
    for (const lead of page) leads.set(lead.id, lead);
    input.progress(s.pages, expected(s), "Re-reading all leads from MOCO");
  });
  for (const [id, lead] of leads) fetched.set(id, lead);
  return scanDrift(state);
}

async function deletions(
  input: PlanInput,
  base: ReadonlyMap<number, Lead>,
  fetched: ReadonlyMap<number, Lead>,
  live: number | null,
  first: boolean,
): Promise<Deletions> {
  const updated = new Map<number, number>();
  for (const [id, lead] of base) updated.set(id, Date.parse(lead.updated_at));
  for (const [id, lead] of fetched) updated.set(id, Date.parse(lead.updated_at));
  // More leads than MOCO counts: some were deleted. MOCO sent no X-Total: only asking for every id
  // can tell (N/100 requests), and never on a first sync, which has nothing older to lose.
  if (live !== null ? updated.size <= live : first) return { deleted: [] };
  input.progress(0, undefined, "Finding leads deleted in MOCO");
  return findDeletions(input.moco, updated, live, input.reads);
}

/** Pages a full scan will take, plus the count request; undefined until MOCO said how many. */
export function expected(scan: ScanState): number | undefined {
  return scan.total === null ? undefined : Math.max(1, Math.ceil(scan.total / PAGE_SIZE)) + 1;
}

function projectedSize(current: ReadonlyMap<number, Lead>, fetched: ReadonlyMap<number, Lead>): number {
  let size = current.size;
  for (const id of fetched.keys()) if (!current.has(id)) size++;
  return size;
}

/**
 * The next delta's cursor, from MOCO's clock, never ours: the largest updated_at this sync read, minus
 * how long its reads took. A lead changed while the pages were read may sit on a page read before the
 * change, while a later page shows a lead changed even later; going back by the duration of the reads
 * puts the cursor before every such change. Never behind the previous cursor, so that repeated syncs
 * do not drift backwards.
 */
function nextCursor(leads: Iterable<Lead>, previous: string | null, readsMs: number): string | null {
  const newest = maxUpdated(leads, null);
  if (newest === null) return previous;
  const back = timestamp(Date.parse(newest) - Math.ceil(readsMs / 1000) * 1000);
  return previous !== null && Date.parse(previous) >= Date.parse(back) ? previous : back;
}

/** MOCO's own largest updated_at. */
function maxUpdated(leads: Iterable<Lead>, previous: string | null): string | null {
  let best = previous;
  for (const lead of leads)
    if (best === null || Date.parse(lead.updated_at) > Date.parse(best)) best = lead.updated_at;
  return best;
}
