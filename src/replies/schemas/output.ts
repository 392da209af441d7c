import { z } from "zod";

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

export const warningsOut = z.array(z.string());

/** How much of MOCO a scanning tool read: never a capped scan passed off as complete. */
export const scanOut = z.object({
  scanned: z.number().describe("leads read"),
  matched: z.number(),
  selected: z.number().nullable().describe("leads MOCO selected before our filters"),
  complete: z.boolean(),
});

const text = z.string();
/** A list row: compact (names as text) or, with full=true, MOCO's lead (references as objects). */
export const compactOut = z.looseObject({
  id: z.number(),
  name: text,
  status: text,
  money: z.number(),
  currency: text,
  // Named, not typed: the same names hold text in a compact row and MOCO's objects in a full lead.
  stage: z.unknown().optional(),
  probability: z.unknown().optional(),
  user: z.unknown().optional(),
  company: z.unknown().optional(),
  reminder_date: z.unknown().optional(),
  due_in_days: z.unknown().optional().describe("negative: overdue"),
  closed_on: z.unknown().optional(),
  tags: z.unknown().optional(),
  created_at: z.unknown().optional(),
});

const sums = { count: z.number(), total: z.number(), weighted: z.number() };

/** One currency of a pipeline summary. */
export const currencyOut = z.object({
  currency: text,
  ...sums,
  by_status: z.record(text, z.unknown()).describe("count and total per status"),
  by_stage: z.array(z.object({ stage: text, probability: z.number(), ...sums })).optional(),
  groups: z.array(z.object({ key: text, ...sums })).optional(),
  top_pending: z.array(z.looseObject({ id: z.number(), name: text, money: z.number() })).optional(),
});

/** A lead's note (MOCO comment): id, text, user, created_at. */
export const noteOut = z.looseObject({ id: z.number(), text: z.string() });
