import { z } from "zod";
import { count, pastNote, pastPipeline } from "../leads/changes.js";
import { scanData, scanNote } from "../leads/compact.js";
import { plainDate } from "../leads/fields.js";
import { checkRanges, leadFilterShape } from "../leads/filters.js";
import { findLeads } from "../leads/find.js";
import { currencyOut, money, scanOut } from "../leads/output.js";
import { type CurrencySummary, type GroupBy, groupCount, summarize } from "../leads/pipeline.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { label } from "../text.js";

const month = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "expected a month YYYY-MM, e.g. 2026-01")
    .describe(`${what}, YYYY-MM`);

/** Groups named in the text: the largest few, or months (in order) up to a year's worth. */
const GROUPS_SHOWN = 5;
const MONTHS_SHOWN = 12;

/** One currency in a sentence; groups the text leaves out are said, never dropped in silence. */
function currencyLine(c: CurrencySummary, groupBy: GroupBy | undefined): string {
  const pending = c.by_status.pending;
  const weighted = pending ? `, weighted pending ${money(c.weighted, c.currency)}` : "";
  const all = c.groups ?? [];
  const months = groupBy === "month";
  const shown = all.slice(0, months ? MONTHS_SHOWN : GROUPS_SHOWN);
  const named = shown.map((g) => `${label(g.key)} ${g.count} (${money(g.total, c.currency)})`);
  // Groups folded into an "(n others)" entry count one by one.
  const hidden = groupCount(all) - shown.length;
  if (hidden > 0) {
    const last = all.at(-1)?.key ?? "";
    named.push(
      months
        ? `and ${hidden} later months up to ${label(last)} (see groups)`
        : `and ${hidden} more (see groups)`,
    );
  }
  const groups = named.join(", ");
  return `${c.currency}: ${count(c.count, "lead")}, ${money(c.total, c.currency)}${weighted}${groups ? `; by group: ${groups}` : ""}`;
}

export const pipelineSummaryTool = defineTool({
  name: "pipeline_summary",
  title: "Pipeline summary",
  description:
    "Forecast of the leads list_leads' filters select, per currency (never summed across): by status and stage, weighted (pending × probability), groups, largest pending. Read-only.",
  input: strictInput({
    ...leadFilterShape,
    group_by: z.enum(["user", "company", "tag", "stage", "month"]).optional().describe("Also group by this"),
    month_basis: z
      .enum(["reminder_date", "closed_on", "service_period"])
      .default("reminder_date")
      .describe("Date placing a lead in a month; service_period spreads its value"),
    from: month("Only value in or after this month").optional(),
    to: month("Only value in or before this month").optional(),
    top: z.number().int().min(0).max(20).default(5).describe("Largest pending leads per currency"),
    as_of: plainDate().optional().describe("The pipeline at the end of this day (history), YYYY-MM-DD"),
    compare_to: plainDate().optional().describe("Weighted value then vs now, and who moved it, YYYY-MM-DD"),
  })
    .superRefine(checkRanges)
    .refine((v) => v.from === undefined || v.to === undefined || v.from <= v.to, {
      path: ["to"],
      message: "to must not be before from",
    }),
  output: z.object({
    currencies: z.array(currencyOut),
    undated: z.number().describe("leads without a date on month_basis (left out of a month window)"),
    ...scanOut.shape,
    as_of: z.string().optional(),
    compared: z
      .array(z.looseObject({ currency: z.string() }))
      .optional()
      .describe("weighted was, now; movers"),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run({ group_by, month_basis, from, to, top, as_of, compare_to, ...selection }, ctx) {
    const options = { groupBy: group_by, monthBasis: month_basis, from, to, top };
    const when = { asOf: as_of, compareTo: compare_to };
    const past = as_of !== undefined || compare_to !== undefined;
    const found = past ? await pastPipeline(selection, options, when, ctx) : await findLeads(selection, ctx);
    const compared = "compared" in found ? found.compared : undefined;
    const { notes, ...result } = summarize(found.leads, options);
    const lines = result.currencies.map((c) => currencyLine(c, group_by));
    if (found.echo.length > 0) notes.unshift(`Understood: ${found.echo.join("; ")}.`);
    return {
      data: {
        ...result,
        ...scanData(found.scan, found.leads.length),
        ...(as_of ? { as_of } : {}),
        ...(compared ? { compared } : {}),
      },
      summary: [
        ...(past ? pastNote(when, compared) : []),
        `${lines.join(". ") || "No matching leads"}.`,
        ...notes,
        scanNote(found.scan, found.leads.length, ctx.maxScanPages, found.asOf),
      ].join(" "),
    };
  },
});
