import { apiPath, type CallOptions, type MocoClient } from "./client.js";
import { type LeadFilters, leadQuery, parseLead } from "./leads.js";
import { MAX_PER_PAGE, readPages } from "./pages.js";
import type { Lead } from "./schemas.js";

/**
 * Reads every lead matching MOCO's own filters, page by page (100 per request, MOCO's maximum), up to
 * a page cap. The result says honestly how far it got: a capped scan is never passed off as complete.
 */
export type ScanFilters = Omit<LeadFilters, "page" | "per_page">;

export interface ScanOptions extends CallOptions {
  /** Upper bound on MOCO requests for the whole scan, shared by all queries. */
  maxPages: number;
  /** Called after each page with the pages read so far and the pages expected (when MOCO said). */
  onPage?: (pages: number, expected: number | undefined, scanned: number) => Promise<void> | void;
}

export interface ScanResult {
  leads: Lead[];
  /** Leads read (duplicates dropped). */
  scanned: number;
  /** Leads MOCO said match (sum of X-Total), null when a response lacked the header. */
  total: number | null;
  /** True only when every query was read to its last page. */
  complete: boolean;
  /** MOCO requests made. */
  pages: number;
}

/**
 * Scans one query, or several in turn (e.g. one per status, since MOCO filters a single status per
 * request). A lead created while the scan runs can shift MOCO's offsets; ids are de-duplicated so a
 * shifted lead is never counted twice.
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
  let complete = true;
  for (const [index, filters] of list.entries()) {
    const read = await readPages(
      moco,
      apiPath("deals"),
      leadQuery(filters),
      { ...call, maxPages: maxPages - pages },
      async ({ items, info }) => {
        for (const lead of items.map(parseLead)) byId.set(lead.id, lead);
        totals[index] = info.total;
        pages++;
        await onPage?.(pages, expectedPages(totals, index, maxPages), byId.size);
      },
    );
    if (!read.complete) {
      complete = false;
      break;
    }
  }
  const total = totals.every((t) => t !== null) ? totals.reduce<number>((a, t) => a + (t ?? 0), 0) : null;
  // Fewer leads than MOCO counted (pages that came back short, offsets shifted by a concurrent
  // delete) is not a complete scan either.
  if (total !== null && byId.size < total) complete = false;
  return { leads: [...byId.values()], scanned: byId.size, total, complete, pages };
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
