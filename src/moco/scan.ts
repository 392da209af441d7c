import { apiPath, type CallOptions, type MocoClient } from "./client.js";
import { checkAnswer, type LeadFilters, leadQuery, parseLead } from "./leads.js";
import { MAX_PER_PAGE, readPages } from "./pages.js";
import type { Lead } from "./schemas.js";

/**
 * Reads every lead matching MOCO's own filters, page by page (100 per request, MOCO's maximum), up to
 * a page cap. The result says honestly how far it got: a capped scan, pages that do not add up to
 * MOCO's count, or a list that moved while it was read are never passed off as complete.
 */
export type ScanFilters = Omit<LeadFilters, "page" | "per_page">;

export interface ScanOptions extends CallOptions {
  /** Upper bound on MOCO requests for the whole scan, shared by all queries. */
  maxPages: number;
  /** Called after each page with the pages read so far and the pages expected (when MOCO said). */
  onPage?: (pages: number, expected: number | undefined, scanned: number) => Promise<void> | void;
}

/**
 * What showed that MOCO's list moved under a read: X-Total changed between its pages (`from` on the
 * first page, `to` on the latest), or leads came on two pages.
 */
export interface Drift {
  from: number | null;
  to: number | null;
  repeated: number;
}

/** Why a scan is not complete. */
export type ScanGap =
  /** The page cap stopped the scan before the last page. */
  | { kind: "cap"; cap: number }
  /** Every page was read, but the leads in them are not as many as MOCO counts (X-Total). */
  | {
      kind: "count";
      read: number;
      counted: number;
      /** A mirror's sync read every lead again after a short read (false: it did not). */
      reread?: boolean;
      /** Why leads MOCO no longer counts were not confirmed deleted (a mirror's sync). */
      why?: string;
    }
  /** MOCO's list changed while it was read, and reading it again did not settle it. */
  | { kind: "moved"; drift: Drift; read: number; counted: number | null }
  /**
   * A mirror's sync takes longer than a read may wait: the read holds what the mirror had (`first`:
   * the leads the first sync has read so far, of `counted`; else the copy as of its last sync), and
   * the sync goes on in the background, done in about `etaMs` (undefined: unknown).
   */
  | { kind: "syncing"; first: boolean; read: number; counted: number | null; etaMs: number | undefined };

export interface ScanResult {
  leads: Lead[];
  /** Leads read (duplicates dropped). */
  scanned: number;
  /** Leads MOCO said match (sum of X-Total), null when a response lacked the header. */
  total: number | null;
  /** True only when every query was read to its last page, consistently. */
  complete: boolean;
  /** MOCO requests made. */
  pages: number;
  /** Why `complete` is false (absent when complete). */
  gap?: ScanGap;
  /** A sentence on why nothing matched, when the domain can tell (e.g. tags no lead carries). */
  empty?: string;
}

/**
 * Watches the pages of one read for the signs of a move. MOCO pages by offset: a lead deleted while
 * the pages are read moves every later lead one place up, so one is skipped while the deleted one
 * stays in an earlier page; the counts still agree. X-Total changing between pages (or a lead on two
 * pages, after a creation) is what gives it away.
 */
export interface PageWatch {
  ids: Set<number>;
  /** X-Total of the first page that sent one, and of the latest. */
  from: number | null;
  to: number | null;
  changed: boolean;
  repeated: number;
}

export const newWatch = (): PageWatch => ({
  ids: new Set(),
  from: null,
  to: null,
  changed: false,
  repeated: 0,
});

export function watchPage(watch: PageWatch, ids: readonly number[], total: number | null): void {
  for (const id of ids) {
    if (watch.ids.has(id)) watch.repeated++;
    else watch.ids.add(id);
  }
  // A page without the header says nothing either way.
  if (total === null) return;
  if (watch.to !== null && total !== watch.to) watch.changed = true;
  watch.from ??= total;
  watch.to = total;
}

export const driftOf = (watch: PageWatch): Drift | undefined =>
  watch.changed || watch.repeated > 0
    ? { from: watch.from, to: watch.to, repeated: watch.repeated }
    : undefined;

interface QueryRead {
  leads: Map<number, Lead>;
  total: number | null;
  pages: number;
  capped: boolean;
  drift: Drift | undefined;
}

/**
 * Scans one query, or several in turn (e.g. one per status, since MOCO filters a single status per
 * request). A query whose list moved while it was read is read once more, if the page cap leaves room,
 * and that second read replaces the first (which may hold a deleted lead and miss a live one).
 */
export async function scanLeads(
  moco: MocoClient,
  queries: ScanFilters | ScanFilters[],
  options: ScanOptions,
): Promise<ScanResult> {
  const list = Array.isArray(queries) ? queries : [queries];
  const { maxPages, onPage, ...call } = options;
  const byId = new Map<number, Lead>();
  const totals: (number | null)[] = list.map(() => null);
  let pages = 0;
  // Pages of reads that were read again: progress counts them on top of the expected ones.
  let redone = 0;
  let gap: ScanGap | undefined;
  for (const [index, filters] of list.entries()) {
    const readQuery = () =>
      readOne(moco, filters, { ...call, maxPages: maxPages - pages }, async (total, size) => {
        totals[index] = total;
        pages++;
        const expected = expectedPages(totals, index, maxPages);
        await onPage?.(pages, expected === undefined ? undefined : expected + redone, byId.size + size);
      });
    let read = await readQuery();
    if (read.drift && !read.capped && maxPages - pages >= read.pages) {
      redone += read.pages;
      const again = await readQuery();
      if (!again.capped) read = again;
    }
    for (const [id, lead] of read.leads) byId.set(id, lead);
    if (read.capped) {
      gap = { kind: "cap", cap: maxPages };
      break;
    }
    if (read.drift && !gap) {
      gap = { kind: "moved", drift: read.drift, read: read.leads.size, counted: read.total };
    }
  }
  const total = totals.every((t) => t !== null) ? totals.reduce<number>((a, t) => a + (t ?? 0), 0) : null;
  // Fewer leads than MOCO counted (pages that came back short), or more (leads MOCO no longer counts):
  // not complete either.
  if (!gap && total !== null && byId.size !== total) gap = { kind: "count", read: byId.size, counted: total };
  const leads = [...byId.values()];
  return { leads, scanned: byId.size, total, complete: gap === undefined, pages, ...(gap ? { gap } : {}) };
}

async function readOne(
  moco: MocoClient,
  filters: ScanFilters,
  options: CallOptions & { maxPages: number },
  onPage: (total: number | null, size: number) => Promise<void>,
): Promise<QueryRead> {
  const leads = new Map<number, Lead>();
  const watch = newWatch();
  const read = await readPages(
    moco,
    apiPath("deals"),
    leadQuery(filters),
    options,
    async ({ items, info }) => {
      const page = items.map(parseLead);
      // A page that ignores a filter (e.g. ids, updated_after) is no answer to this query: said, not used.
      checkAnswer(filters, page);
      watchPage(
        watch,
        page.map((l) => l.id),
        info.total,
      );
      for (const lead of page) leads.set(lead.id, lead);
      await onPage(info.total, leads.size);
    },
  );
  return { leads, total: watch.to, pages: read.pages, capped: !read.complete, drift: driftOf(watch) };
}

/**
 * Pages the whole scan will take as far as the totals seen so far tell (a query not started yet counts
 * as one page), capped; undefined when MOCO sent no X-Total.
 */
function expectedPages(totals: (number | null)[], current: number, maxPages: number): number | undefined {
  let sum = 0;
  for (const [i, total] of totals.entries()) {
    if (total === null && i <= current) return undefined;
    sum += total === null ? 1 : Math.max(1, Math.ceil(total / MAX_PER_PAGE));
  }
  return Math.min(sum, maxPages);
}
