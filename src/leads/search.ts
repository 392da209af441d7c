import { z } from "zod";
import { type ScanFilters, type ScanResult, scanLeads } from "../moco/scan.js";
import type { Lead } from "../moco/schemas.js";
import { fold } from "../text.js";
import { matchRef, stageRef, userRef } from "./compact.js";
import type { LeadsContext } from "./context.js";
import { addDays, daysBetween, localToday } from "./dates.js";
import { plainDate } from "./fields.js";

/**
 * What list_leads can filter and sort by beyond MOCO's own filters. MOCO cannot filter by any of these,
 * so using one makes list_leads scan every matching page (MOCO's filters still go to MOCO) and page
 * through the matches itself.
 */
/**
 * An id, or a name; a blank name would match every lead. A refinement rather than .min(1): it keeps
 * the JSON Schema a compact ["number","string"] (every byte of tools/list is paid in every conversation).
 */
const idOrName = z.union([
  z.number(),
  z
    .string()
    .trim()
    .refine((s) => s !== "", "give a name or an id, not an empty string"),
]);

export const searchFields = {
  query: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Words in name, company, person or info, any case/accents, e.g. "relaunch zürich"'),
  user: idOrName.optional().describe('User id or name, e.g. "Nicola"'),
  stage: idOrName.optional().describe('Stage id or name, e.g. "Verhandlungen"'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, "expected a currency code like CHF")
    .optional()
    .describe("e.g. CHF"),
  money_min: z.number().optional().describe("Value at least, e.g. 20000"),
  money_max: z.number().optional().describe("Value at most"),
  reminder_from: plainDate().describe("Reminder on or after, YYYY-MM-DD").optional(),
  reminder_to: plainDate().describe("Reminder on or before, YYYY-MM-DD").optional(),
  due_within_days: z
    .number()
    .int()
    .min(0)
    .max(365)
    .optional()
    .describe("Follow-ups: open leads whose reminder is due by today + N days (0: due or overdue)"),
  today: plainDate().describe("For due_within_days; default the server's date, YYYY-MM-DD").optional(),
  sort: z
    .enum(["updated_at", "reminder_date", "money"])
    .optional()
    .describe("Newest update, oldest reminder or largest value first"),
};

type SearchArgs = { [K in keyof typeof searchFields]?: z.output<(typeof searchFields)[K]> };

/** Whether the call needs a scan: any of these fields but `today`, which only qualifies due_within_days. */
export const scans = (args: SearchArgs) =>
  (Object.keys(searchFields) as (keyof SearchArgs)[]).some((k) => k !== "today" && args[k] !== undefined);

export const daysOverdue = (lead: Lead, today: string) =>
  lead.reminder_date === null ? null : daysBetween(lead.reminder_date, today);

const haystack = (l: Lead) => fold([l.name, l.company?.name, l.person?.name, l.info].join(" "));
const reminder = (l: Lead) => l.reminder_date ?? "";

const SORTS = {
  updated_at: (a: Lead, b: Lead) => b.updated_at.localeCompare(a.updated_at),
  reminder_date: (a: Lead, b: Lead) => (reminder(a) || "9999").localeCompare(reminder(b) || "9999"),
  money: (a: Lead, b: Lead) => b.money - a.money,
};

export interface SearchResult {
  leads: Lead[];
  scan: ScanResult;
  /** Set for follow-ups: the day counted as today, and the last due day. */
  due?: { today: string; until: string; overdue: number };
}

export async function searchLeads(
  filters: ScanFilters,
  args: SearchArgs,
  ctx: LeadsContext,
): Promise<SearchResult> {
  const today = args.today ?? localToday();
  const due = args.due_within_days;
  // Follow-ups concern open leads; MOCO filters one status per request, so two scans beat one of everything.
  const queries =
    due !== undefined && filters.status === undefined
      ? [
          { ...filters, status: "pending" },
          { ...filters, status: "potential" },
        ]
      : filters;
  const scan = await scanLeads(ctx.moco, queries, {
    ...ctx.call,
    maxPages: ctx.maxScanPages,
    onPage: (pages, expected, scanned) => ctx.progress(pages, expected, `Read ${scanned} leads`),
  });
  const until = due === undefined ? undefined : addDays(today, due);
  const words = args.query ? fold(args.query).split(/\s+/) : [];
  let leads = scan.leads.filter(
    (l) =>
      (args.currency === undefined || l.currency === args.currency) &&
      (args.money_min === undefined || l.money >= args.money_min) &&
      (args.money_max === undefined || l.money <= args.money_max) &&
      (args.reminder_from === undefined || reminder(l) >= args.reminder_from) &&
      (args.reminder_to === undefined || (reminder(l) !== "" && reminder(l) <= args.reminder_to)) &&
      (until === undefined || (reminder(l) !== "" && reminder(l) <= until)) &&
      words.every((w) => haystack(l).includes(w)),
  );
  if (args.user !== undefined) leads = matchRef(leads, args.user, userRef);
  if (args.stage !== undefined) leads = matchRef(leads, args.stage, stageRef);
  const sort = args.sort ?? (due !== undefined ? "reminder_date" : undefined);
  if (sort) leads.sort((a, b) => SORTS[sort](a, b) || a.id - b.id);
  if (until === undefined) return { leads, scan };
  const overdue = leads.filter((l) => reminder(l) < today).length;
  return { leads, scan, due: { today, until, overdue } };
}
