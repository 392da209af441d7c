import type { CallOptions, MocoClient, PageInfo } from "../moco/client.js";
import { type LeadFilters, listLeads } from "../moco/leads.js";
import type { Lead } from "../moco/schemas.js";

/**
 * The reads a mirror sync makes of MOCO; no store here. Every request goes through the MocoClient, so
 * its rate budget paces a long full sync on its own: each page may wait up to `pageWaitMs` for a slot.
 */
export const PAGE_SIZE = 100;
/** A probe of MOCO's count reads at most this many ids per request (URL length stays ~1 kB). */
const ID_CHUNK = 100;

export interface SyncReadOptions {
  signal?: AbortSignal;
  /** How long one request may wait for the rate budget and its retries. */
  pageWaitMs: number;
  /** Told after each request. */
  onRequest?: (what: string) => void;
}

async function page(moco: MocoClient, filters: LeadFilters, options: SyncReadOptions, what: string) {
  const call: CallOptions = { signal: options.signal, deadline: Date.now() + options.pageWaitMs };
  const result = await listLeads(moco, filters, call);
  options.onRequest?.(what);
  return result;
}

/**
 * Progress of a full scan, kept by the caller: an interrupted scan (reset, 429, timeout, abort) keeps
 * the pages it read, and the next attempt goes on from `nextPage`. Ids de-duplicate leads that moved
 * between pages meanwhile; a lead that moved the other way is found by the count check afterwards.
 */
export interface FullScan {
  nextPage: number | null;
  leads: Map<number, Lead>;
  /** MOCO's X-Total on the latest page. */
  total: number | null;
  pages: number;
  /** performance.now() when the scan began: edits made since may hide on pages read before them. */
  startedAt: number;
}

export function newFullScan(): FullScan {
  return { nextPage: 1, leads: new Map(), total: null, pages: 0, startedAt: performance.now() };
}

export async function runFullScan(
  moco: MocoClient,
  scan: FullScan,
  options: SyncReadOptions & { onPage?: (scan: FullScan) => void },
): Promise<void> {
  while (scan.nextPage !== null) {
    const at = scan.nextPage;
    const result = await page(moco, { page: at, per_page: PAGE_SIZE }, options, "full");
    for (const lead of result.leads) scan.leads.set(lead.id, lead);
    scan.total = result.page.total;
    scan.pages++;
    scan.nextPage = following(at, result.leads.length, result.page);
    options.onPage?.(scan);
  }
}

/** Every lead MOCO created or changed after `since` (an ISO timestamp), all pages. */
export async function readChangedSince(
  moco: MocoClient,
  since: string,
  options: SyncReadOptions,
): Promise<Lead[]> {
  const leads = new Map<number, Lead>();
  let at: number | null = 1;
  while (at !== null) {
    const result = await page(
      moco,
      { updated_after: since, page: at, per_page: PAGE_SIZE },
      options,
      "delta",
    );
    for (const lead of result.leads) leads.set(lead.id, lead);
    at = following(at, result.leads.length, result.page);
  }
  return [...leads.values()];
}

/** How many leads MOCO holds (optionally: updated after `since`), from X-Total of a one-lead page. */
export async function countLeads(
  moco: MocoClient,
  options: SyncReadOptions,
  since?: string,
): Promise<number | null> {
  const result = await page(moco, { updated_after: since, per_page: 1 }, options, "count");
  return result.page.total;
}

/** Which of `ids` still exist in MOCO: one request per 100 ids. */
export async function existingIds(
  moco: MocoClient,
  ids: readonly number[],
  options: SyncReadOptions,
): Promise<Set<number>> {
  const found = new Set<number>();
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const result = await page(moco, { ids: chunk, per_page: PAGE_SIZE }, options, "ids");
    for (const lead of result.leads) found.add(lead.id);
  }
  return found;
}

export interface MirrorEntry {
  id: number;
  /** Epoch ms of the lead's updated_at. */
  updatedMs: number;
}

/**
 * Finds the leads deleted in MOCO, given the mirror (already brought up to date by a delta) and MOCO's
 * live count. Deletions leave no trace in updated_after, but counts do: X-Total of
 * updated_after=T counts MOCO's leads changed after T, the mirror knows its own, and the difference is
 * the number deleted among them. Bisecting the mirror by updated_at narrows each deficit down to a
 * slice of at most 100 leads, whose ids one request checks. Cost for d deletions among N leads: about
 * d × log2(N/100) one-lead count requests plus d id checks (1 in 20,000: ≤ 9 requests); when that would
 * exceed reading every id, all ids are checked instead (N/100 requests).
 *
 * Only leads MOCO confirms missing (an ids= request that does not return them) are reported, so a
 * count disturbed by a concurrent edit can make this find fewer deletions, never a wrong one.
 */
export async function findDeleted(
  moco: MocoClient,
  mirror: readonly MirrorEntry[],
  liveTotal: number,
  options: SyncReadOptions,
): Promise<number[]> {
  const entries = [...mirror].sort((a, b) => a.updatedMs - b.updatedMs || a.id - b.id);
  const n = entries.length;
  const deficit = n - liveTotal;
  if (deficit <= 0) return [];
  const slices = Math.ceil(n / ID_CHUNK);
  if (deficit * Math.ceil(Math.log2(Math.max(2, slices))) >= slices) return missing(entries, moco, options);
  const deleted: number[] = [];
  // deficitFrom(i): deleted leads among entries[i..n). deficitFrom(0) = deficit, deficitFrom(n) = 0.
  const visit = async (lo: number, hi: number, fromLo: number, fromHi: number): Promise<void> => {
    if (fromLo - fromHi <= 0) return;
    const mid = hi - lo > ID_CHUNK ? splitPoint(entries, lo, hi) : undefined;
    if (mid === undefined) {
      deleted.push(...(await missing(entries.slice(lo, hi), moco, options)));
      return;
    }
    const after = await countLeads(moco, options, timestamp((entries[mid] as MirrorEntry).updatedMs - 1000));
    if (after === null) {
      deleted.push(...(await missing(entries.slice(lo, hi), moco, options)));
      return;
    }
    const fromMid = Math.min(fromLo, Math.max(fromHi, n - mid - after));
    await visit(lo, mid, fromLo, fromMid);
    await visit(mid, hi, fromMid, fromHi);
  };
  await visit(0, n, deficit, 0);
  return deleted;
}

async function missing(entries: readonly MirrorEntry[], moco: MocoClient, options: SyncReadOptions) {
  const ids = entries.map((e) => e.id);
  const found = await existingIds(moco, ids, options);
  return ids.filter((id) => !found.has(id));
}

/**
 * An index near the middle of [lo, hi) where the lead before is at least 2 s older: updated_after =
 * (that lead's second - 1 s) then separates the two halves whether MOCO compares > or >=, and whatever
 * sub-second precision it keeps. Undefined when no such gap exists.
 */
function splitPoint(entries: readonly MirrorEntry[], lo: number, hi: number): number | undefined {
  const middle = Math.floor((lo + hi) / 2);
  const gap = (i: number) =>
    i > lo &&
    i < hi &&
    (entries[i] as MirrorEntry).updatedMs - (entries[i - 1] as MirrorEntry).updatedMs >= 2000;
  for (let d = 0; middle - d > lo || middle + d < hi; d++) {
    if (gap(middle - d)) return middle - d;
    if (gap(middle + d)) return middle + d;
  }
  return undefined;
}

/** MOCO's timestamp form: UTC, whole seconds, "Z". */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The page after `page`, or null after the last: the next link, else X-Total, else a full page.
 * (The same rule as scanLeads in src/moco/scan.ts.)
 */
function following(at: number, count: number, info: PageInfo): number | null {
  if (count === 0) return null;
  if (info.nextPage !== null) return info.nextPage;
  if (info.total !== null) return at * PAGE_SIZE < info.total ? at + 1 : null;
  return count >= PAGE_SIZE ? at + 1 : null;
}
