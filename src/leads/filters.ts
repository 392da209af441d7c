import { z } from "zod";
import { InputError } from "../errors.js";
import { MocoError } from "../moco/errors.js";
import type { LeadFilters } from "../moco/leads.js";
import { propertyDefinitions } from "../moco/reference.js";
import { LEAD_STATUSES } from "../moco/schemas.js";
import { quoted } from "../text.js";
import type { LeadsContext } from "./context.js";
import { utcSecond } from "./dates.js";
import { currency, customValues, mocoId, plainDate } from "./fields.js";

/**
 * The one filter language of every tool that selects leads (list_leads, pipeline_summary,
 * update_leads): declared once here as schema properties, so the model sees the same rules in each
 * tool and bad input is refused before any request. Some go to MOCO as they are; the rest are
 * applied to what MOCO sends (which makes the tool read every matching page).
 */
/**
 * A day or a range of days: "2026-11-01..2026-11-30", either end may be left out ("2026-11-01.."),
 * or one day. One field per range keeps tools/list short (it is paid in every conversation).
 */
const range = (what: string) =>
  z
    .string()
    .transform((v, ctx) => {
      const parts = v.includes("..") ? v.split("..") : [v, v];
      // "a..b..c" is no range: taking two of its days would filter on something never asked for.
      if (parts.length > 2) {
        ctx.addIssue({
          code: "custom",
          message: `expected a day YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD (an end may be left out); ${quoted(v, 60)} has ${parts.length - 1} ".." where a range has one`,
        });
        return z.NEVER;
      }
      const [from = "", to = from] = parts;
      const bad = [from, to].filter((d) => d !== "" && !plainDate().safeParse(d).success);
      if (bad.length > 0 || (from === "" && to === "")) {
        ctx.addIssue({
          code: "custom",
          message: `expected a day YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD (an end may be left out); ${bad.length > 0 ? `"${bad[0]}" is not a real date` : "both ends are empty"}`,
        });
        return z.NEVER;
      }
      if (from && to && from > to) {
        ctx.addIssue({ code: "custom", message: "the range ends before it starts" });
        return z.NEVER;
      }
      return { from: from || undefined, to: to || undefined };
    })
    .describe(`${what}YYYY-MM-DD[..YYYY-MM-DD]`);

export type Range = { from?: string; to?: string };

/** A timestamp with its zone, or a plain date (its start, UTC). */
const instant = (what: string) =>
  z
    .string()
    .refine(
      (v) =>
        z.iso.datetime({ offset: true }).safeParse(v).success ||
        (/^\d{4}-\d{2}-\d{2}$/.test(v) && plainDate().safeParse(v).success),
      "expected a date YYYY-MM-DD or a timestamp with zone, e.g. 2026-01-31T14:30:00Z",
    )
    .describe(what);

/**
 * A name or an id; a blank name would match every lead. Refinements rather than .min()/.max() keep
 * the JSON Schema a compact ["number","string"].
 */
const idOrName = z.union([
  z.number(),
  z
    .string()
    .refine((s) => s.replace(/[\p{Cf}\s]/gu, "") !== "", "give a name or an id, not an empty string")
    .refine((s) => s.length <= 200, "a name has at most 200 characters"),
]);

export const DUE = ["overdue", "today", "this_week", "next_week", "this_month"] as const;
export const SORTS = ["updated_at", "created_at", "reminder_date", "closed_on", "money", "name"] as const;

export const leadFilterShape = {
  status: z
    .enum([...LEAD_STATUSES, "open"])
    .optional()
    .describe("open = pending + potential"),
  user: idOrName.optional().describe('Owner: "me", id, e-mail or name'),
  stage: idOrName.optional().describe("Stage id or name"),
  query: z
    .string()
    .refine((s) => s.trim() !== "" && s.length <= 200, "give 1–200 characters")
    .optional()
    .describe("Words in name, company, person, info"),
  company_id: mocoId.optional().describe("e.g. 4711"),
  tags: z
    .array(z.string())
    .refine((ts) => ts.length <= 50 && ts.every((t) => t.length <= 100), "at most 50 tags of 100 characters")
    .refine((ts) => ts.every((t) => !t.includes(",")), "a tag filter cannot contain a comma")
    .optional()
    .describe("Any of these"),
  currency: currency.optional().describe("e.g. CHF"),
  money_min: z.number().optional().describe("Value at least"),
  money_max: z.number().optional().describe("Value at most"),
  due: z.enum(DUE).optional().describe("Open leads by reminder date; weeks Mon–Sun"),
  reminder: range("").optional(),
  created: range("").optional(),
  closed: range("").optional(),
  service: range("Overlaps ").optional(),
  updated_after: instant("Changed or created after (date or timestamp)").optional(),
  updated_before: instant("Unchanged since (stale)").optional(),
  ids: z
    .array(mocoId)
    .refine((ids) => ids.length >= 1 && ids.length <= 100, "give 1 to 100 ids")
    .optional()
    .describe("Lead ids"),
  custom_properties: customValues('Exact match, e.g. {"Quelle":"Website"}')
    .superRefine(checkCustomFilter)
    .optional(),
};

export type LeadFilterArgs = { [K in keyof typeof leadFilterShape]?: z.output<(typeof leadFilterShape)[K]> };

/** How results are ordered: the same two arguments wherever leads are listed. */
export const sortShape = {
  sort: z.enum(SORTS).optional().describe("Default: MOCO's order"),
  order: z.enum(["asc", "desc"]).optional().describe("Default desc; asc for reminder_date, name"),
};

/** A custom-field filter as MOCO's query can carry it. */
function checkCustomFilter(props: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const name of Object.keys(props)) {
    if (/[[\]]/.test(name))
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "a custom field name in a filter cannot contain [ or ]",
      });
  }
}

/** Cross-field rules: ranges the right way round. */
export function checkRanges(value: LeadFilterArgs, ctx: z.RefinementCtx): void {
  const pairs = [
    ["money_min", "money_max", (a: number, b: number) => a > b],
    ["updated_after", "updated_before", (a: string, b: string) => Date.parse(a) > Date.parse(b)],
  ] as const;
  for (const [from, to, wrong] of pairs) {
    const a = value[from];
    const b = value[to];
    if (a !== undefined && b !== undefined && (wrong as (x: unknown, y: unknown) => boolean)(a, b)) {
      ctx.addIssue({ code: "custom", path: [to], message: `${to} must not be before ${from}` });
    }
  }
}

/** The filters MOCO applies itself; a selection with only these needs no scan. */
const PUSHED = ["tags", "company_id", "closed", "ids", "updated_after", "custom_properties"];

/** Whether the selection needs more than MOCO's own filters (or an order MOCO does not give). */
export const needsScan = (args: LeadFilterArgs & { sort?: string }) =>
  args.sort !== undefined ||
  args.status === "open" ||
  Object.entries(args).some(([k, v]) => v !== undefined && k !== "status" && !PUSHED.includes(k));

/**
 * The filters as MOCO takes them (timestamps in UTC to the second), one query per status asked for,
 * after checking custom field names against the account's definitions: MOCO answers an unknown name
 * with an empty list, which would pass for "no matching leads". A definition list cut short, or one
 * the key may not read, cannot prove a name unknown, so then the name is sent.
 */
export async function mocoQueries(
  args: LeadFilterArgs,
  ctx: Pick<LeadsContext, "moco" | "call">,
): Promise<LeadFilters[]> {
  await checkCustomFields(Object.keys(args.custom_properties ?? {}), ctx);
  const base: LeadFilters = {
    tags: args.tags,
    company_id: args.company_id,
    closed_from: args.closed?.from,
    closed_to: args.closed?.to,
    ids: args.ids,
    updated_after: args.updated_after && utcSecond(args.updated_after),
    custom_properties: args.custom_properties,
  };
  // Follow-ups concern open leads; MOCO filters one status per request, so two scans beat one of everything.
  const statuses =
    args.status === "open" || (args.status === undefined && args.due !== undefined)
      ? ["pending", "potential"]
      : [args.status];
  return statuses.map((status) => ({ ...base, status }));
}

async function checkCustomFields(names: string[], ctx: Pick<LeadsContext, "moco" | "call">) {
  if (names.length === 0) return;
  const known = await propertyDefinitions(ctx.moco, ctx.call).catch((error: unknown) => {
    if (error instanceof MocoError && error.kind === "forbidden") return undefined;
    throw error;
  });
  const real = known?.definitions.map((d) => d.name) ?? [];
  const unknown = names.filter((n) => !real.includes(n));
  if (known?.complete && unknown.length > 0) {
    throw new InputError(
      `Nothing was searched. custom_properties: ${unknown.map((n) => JSON.stringify(n)).join(", ")} ${unknown.length > 1 ? "are not custom fields" : "is not a custom field"} of leads (MOCO would answer with no leads at all); the fields are: ${real.join(", ") || "none"}`,
      { custom_properties: real },
      "Use one of the custom fields listed (or drop the filter) and call again.",
    );
  }
}
