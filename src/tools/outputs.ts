import { z } from "zod";
import type { PageInfo } from "../moco/client.js";

/** Output schemas: what structuredContent promises. Loose, because MOCO adds fields over time. */
const ref = { id: z.number(), name: z.string() };
const nullableDate = z.string().nullable();

export const leadOut = z.looseObject({
  id: z.number(),
  name: z.string(),
  status: z.string(),
  reminder_date: nullableDate,
  closed_on: nullableDate,
  money: z.number(),
  currency: z.string(),
  info: z.string().nullable(),
  tags: z.array(z.string()),
  custom_properties: z.record(z.string(), z.unknown()),
  user: z.looseObject({ id: z.number(), firstname: z.string(), lastname: z.string() }).nullable(),
  person: z.looseObject(ref).nullable(),
  company: z.looseObject(ref).nullable(),
  category: z.looseObject({ ...ref, probability: z.number() }).nullable(),
  service_period_from: nullableDate,
  service_period_to: nullableDate,
  created_at: z.string(),
  updated_at: z.string(),
});

export const pageOut = {
  page: z.number().nullable(),
  per_page: z.number().nullable(),
  total: z.number().nullable().describe("All matching leads, when MOCO reports it"),
  next_page: z.number().nullable().describe("Page to request next; null on the last page"),
};

export const pageData = (page: PageInfo) => ({
  page: page.page,
  per_page: page.perPage,
  total: page.total,
  next_page: page.nextPage,
});

export const warningsOut = z
  .array(z.string())
  .describe("Anything MOCO ignored or changed compared to what was asked; empty when it stored exactly that");

export const money = (amount: number, currency: string) =>
  `${amount.toLocaleString("en-US", { maximumFractionDigits: 2 })} ${currency}`;

export const leadLine = (lead: {
  id: number;
  name: string;
  status: string;
  money: number;
  currency: string;
}) => `lead ${lead.id} "${lead.name}" (${lead.status}, ${money(lead.money, lead.currency)})`;
