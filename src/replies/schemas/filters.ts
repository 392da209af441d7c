import { z } from "zod";
import { DUE, type LeadFilterArgs, SORTS } from "../../leads/filters.js";
import { LEAD_STATUSES } from "../../moco/schemas.js";
import { quoted } from "../../text.js";
import { currency, customValues, mocoId, plainDate } from "./fields.js";
import type { Assert, Same } from "./same.js";

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

export const leadFilterShape = {
  status: z
    .enum([...LEAD_STATUSES, "open"])
    .optional()
    .describe(
      "MOCO UI: pending=Laufende/Active, potential=Kontaktpotential, won=Gewonnen, lost=Verloren (client cancelled), dropped=Abgesagt/verworfen (we cancelled); open=pending+potential ('offen' is ambiguous)",
    ),
  user: idOrName.optional().describe('Owner: "me", id, e-mail or name'),
  stage: idOrName.optional().describe("Stage id or name"),
  query: z
    .string()
    .refine((s) => s.trim() !== "" && s.length <= 200, "give 1–200 characters")
    .optional()
    .describe("Words in name, company, person, info"),
  company_id: mocoId.optional().describe("e.g. 4711"),
  has_company: z.boolean().optional().describe("false: none"),
  has_person: z.boolean().optional().describe("false: none"),
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
  updated_after: instant("Changed after (date or timestamp)").optional(),
  updated_before: instant("Unchanged since (stale)").optional(),
  ids: z
    .array(mocoId)
    .refine((ids) => ids.length >= 1 && ids.length <= 100, "give 1 to 100 ids")
    .optional()
    .describe("Lead ids"),
  custom_properties: customValues('e.g. {"Quelle":"Website"}').superRefine(checkCustomFilter).optional(),
};

/** What the shape parses to is exactly the domain's filter type (checked by the compiler both ways). */
type Parsed = { [K in keyof typeof leadFilterShape]?: z.output<(typeof leadFilterShape)[K]> };
export type FiltersMatch = Assert<Same<Parsed, LeadFilterArgs>>;

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
