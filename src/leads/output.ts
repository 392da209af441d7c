import { z } from "zod";
import type { PageInfo } from "../moco/client.js";
import { nextPage } from "../moco/pages.js";

/**
 * Output schemas: what structuredContent promises. Loose, because MOCO adds fields over time, and
 * brief, because every byte of tools/list is paid in every conversation: the lead schema names the
 * fields a client can rely on and lets MOCO's others through.
 */
export const leadOut = z.looseObject({
  id: z.number(),
  name: z.string(),
  status: z.string(),
  money: z.number(),
  currency: z.string(),
});

export const pageOut = {
  page: z.number().nullable(),
  per_page: z.number().nullable(),
  total: z.number().nullable(),
  next_page: z.number().nullable(),
};

/** One page of a live list as the caller sees it; what comes next follows the one rule in pages.ts. */
export const pageData = (info: PageInfo, page: number, count: number, perPage: number) => ({
  page: info.page,
  per_page: info.perPage,
  total: info.total,
  next_page: nextPage(page, count, info, perPage),
});

export const warningsOut = z.array(z.string());

// One formatter for every call: toLocaleString with options builds a new one each time (~20 µs).
const amountFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

export const money = (amount: number, currency: string) => `${amountFormat.format(amount)} ${currency}`;

export const leadLine = (lead: {
  id: number;
  name: string;
  status: string;
  money: number;
  currency: string;
}) => `lead ${lead.id} "${lead.name}" (${lead.status}, ${money(lead.money, lead.currency)})`;

/** How much of MOCO a scanning tool read: never a capped scan passed off as complete. */
export const scanOut = {
  scanned: z.number(),
  total: z.number().nullable(),
  complete: z.boolean(),
};

/** A lead's note (MOCO comment): id, text, user, created_at. */
export const noteOut = z.looseObject({ id: z.number(), text: z.string() });
