import { dueInDays } from "../leads/find.js";
import { userName } from "../leads/refs.js";
import type { PageInfo } from "../moco/client.js";
import { nextPage } from "../moco/pages.js";
import type { ScanResult } from "../moco/scan.js";
import type { Lead } from "../moco/schemas.js";

/**
 * The token budget of list-style results. A compact lead carries what a model needs to act on it
 * (its full form is one get_lead away); empty values are left out rather than sent as null.
 */
export interface CompactLead {
  id: number;
  name: string;
  status: string;
  money: number;
  currency: string;
  stage?: string;
  probability?: number;
  user?: string;
  company?: string;
  reminder_date?: string;
  /** Days until the reminder; negative when overdue. Open leads only. */
  due_in_days?: number;
  closed_on?: string;
  service_period_from?: string;
  service_period_to?: string;
  tags?: string[];
  created_at: string;
  updated_at?: string;
  /** Where a query's words stand when not all in the name, e.g. "description". */
  matched?: string;
}

export function compact(
  lead: Lead,
  extra: { today?: string; updated?: boolean; matched?: string } = {},
): CompactLead {
  const out: CompactLead = {
    id: lead.id,
    name: lead.name,
    status: lead.status,
    money: lead.money,
    currency: lead.currency,
  } as CompactLead;
  if (lead.category) {
    out.stage = lead.category.name;
    out.probability = lead.category.probability;
  }
  const user = userName(lead);
  if (user) out.user = user;
  if (lead.company) out.company = lead.company.name;
  if (lead.reminder_date) out.reminder_date = lead.reminder_date;
  const due = extra.today === undefined ? undefined : dueInDays(lead, extra.today);
  if (due !== undefined) out.due_in_days = due;
  if (lead.closed_on) out.closed_on = lead.closed_on;
  if (lead.service_period_from) out.service_period_from = lead.service_period_from;
  if (lead.service_period_to) out.service_period_to = lead.service_period_to;
  if (lead.tags.length > 0) out.tags = lead.tags;
  out.created_at = lead.created_at;
  if (extra.updated) out.updated_at = lead.updated_at;
  if (extra.matched) out.matched = extra.matched;
  return out;
}

/**
 * Soft cap on the JSON of one reply's lead list: about 8,000 tokens, a third of what Claude Code
 * accepts from a tool by default. 100 compact leads fit.
 */
export const REPLY_CAP_BYTES = 30_000;

const size = (items: readonly unknown[]) => Buffer.byteLength(JSON.stringify(items));

/**
 * Fits rows into the cap by clipping their long texts, never by dropping a row: a page always holds
 * every lead it promises. Returns the rows and the longest text kept (undefined: nothing clipped).
 */
export function fitRows<T extends object>(
  rows: T[],
  cap = REPLY_CAP_BYTES,
): { rows: T[]; clippedTo?: number } {
  if (size(rows) <= cap) return { rows };
  for (const limit of [400, 120, 40]) {
    const clipped = rows.map((row) => clipTexts(row, limit));
    if (size(clipped) <= cap || limit === 40) return { rows: clipped, clippedTo: limit };
  }
  return { rows };
}

function clipTexts<T>(value: T, limit: number, depth = 0): T {
  if (typeof value === "string") {
    return ([...value].length > limit ? `${[...value].slice(0, limit - 1).join("")}…` : value) as T;
  }
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const items = value.length > 20 ? [...value.slice(0, 20), `(${value.length - 20} more)`] : value;
    return items.map((v) => clipTexts(v, limit, depth + 1)) as T;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipTexts(v, limit, depth + 1)])) as T;
}

/** The scan's honest footprint, for the structured result. */
export const scanData = (scan: ScanResult, matched: number) => ({
  scanned: scan.scanned,
  matched,
  selected: scan.total,
  complete: scan.complete,
});

/** One page of a live list as the caller sees it; what comes next follows the one rule in pages.ts. */
export const pageData = (info: PageInfo, page: number, count: number, perPage: number) => ({
  page: info.page,
  per_page: info.perPage,
  total: info.total,
  next_page: nextPage(page, count, info, perPage),
});
