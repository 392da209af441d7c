import type { RateBudget } from "../moco/budget.js";
import type { CallOptions, MocoClient } from "../moco/client.js";
import { type LeadFilters, listLeads } from "../moco/leads.js";
import { nextPage } from "../moco/pages.js";
import type { Lead } from "../moco/schemas.js";

/**
 * The requests a mirror sync makes of MOCO, one page each. Every request goes through the MocoClient,
 * so its rate budget paces a long full sync on its own: each page may wait up to `pageWaitMs` for a
 * slot. Every answer is checked against its question (listLeads): a page that ignores a filter is an
 * error, never data.
 */
export const PAGE_SIZE = 100;

export interface SyncReadOptions {
  signal?: AbortSignal;
  /** How long one request may wait for the rate budget and its retries. */
  pageWaitMs: number;
  /** Told after each request. */
  onRequest?: (what: string) => void;
  /** The share of MOCO's budget the sync keeps to (the rest stays free for interactive calls). */
  share?: RateBudget;
}

/** The options of one request of a sync. */
export const syncCall = (options: SyncReadOptions): CallOptions => ({
  signal: options.signal,
  deadline: Date.now() + options.pageWaitMs,
  ...(options.share ? { share: options.share } : {}),
});

export async function page(moco: MocoClient, filters: LeadFilters, options: SyncReadOptions, what: string) {
  const result = await listLeads(moco, filters, syncCall(options));
  options.onRequest?.(what);
  return result;
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
    at = nextPage(at, result.leads.length, result.page, PAGE_SIZE);
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

/** MOCO's timestamp form: UTC, whole seconds, "Z". */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
