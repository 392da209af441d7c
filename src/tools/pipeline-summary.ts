import { z } from "zod";
import { pastPipeline } from "../leads/changes.js";
import { findLeads } from "../leads/find.js";
import { askedGroups, summarize } from "../leads/pipeline.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { comparedData, pastNote } from "../replies/past.js";
import {
  allCurrenciesLines,
  countedNoun,
  currenciesData,
  currencyLine,
  pipelineNotes,
} from "../replies/pipeline.js";
import { scanData } from "../replies/rows.js";
import { scanNote } from "../replies/scan-note.js";
import { plainDate } from "../replies/schemas/fields.js";
import { checkRanges, leadFilterShape } from "../replies/schemas/filters.js";
import { currencyOut, scanOut } from "../replies/schemas/output.js";

const month = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "expected a month YYYY-MM, e.g. 2026-01")
    .describe(`${what}, YYYY-MM`);

export const pipelineSummaryTool = defineTool({
  name: "pipeline_summary",
  title: "Pipeline summary",
  description:
    "Forecast of the leads list_leads' filters select: money per currency (never summed across), counts also across; by status, stage, group; weighted (pending × probability); largest pending. Read-only.",
  input: strictInput({
    ...leadFilterShape,
    group_by: z.enum(["user", "company", "tag", "stage", "month"]).optional().describe("Also group by this"),
    month_basis: z
      .enum(["reminder_date", "closed_on", "service_period"])
      .default("reminder_date")
      .describe("Date placing a lead in a month; service_period spreads its value"),
    from: month("Only value from this month").optional(),
    to: month("Only value up to this month").optional(),
    top: z.number().int().min(0).max(20).default(5).describe("Largest pending leads per currency"),
    as_of: plainDate().optional().describe("Pipeline at the end of this day, YYYY-MM-DD"),
    compare_to: plainDate()
      .optional()
      .describe("Earlier day: weighted then vs now, who moved it, YYYY-MM-DD"),
  })
    .superRefine(checkRanges)
    .refine((v) => v.from === undefined || v.to === undefined || v.from <= v.to, {
      path: ["to"],
      message: "to must not be before from",
    }),
  output: z.object({
    currencies: z.array(currencyOut),
    all_currencies: z
      .looseObject({ count: z.number() })
      .describe("counts (never money) over all currencies, with by_currency"),
    undated: z.number().describe("leads lacking the month_basis date (outside a window)"),
    ...scanOut.shape,
    as_of: z.string().optional(),
    compared: z
      .array(z.looseObject({ currency: z.string() }))
      .optional()
      .describe("weighted was, now; movers"),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run({ group_by, month_basis, from, to, top, as_of, compare_to, ...selection }, ctx) {
    const asked = askedGroups(selection, group_by);
    const options = { groupBy: group_by, monthBasis: month_basis, from, to, top, asked };
    const when = { asOf: as_of, compareTo: compare_to };
    const past = as_of !== undefined || compare_to !== undefined;
    const found = past ? await pastPipeline(selection, options, when, ctx) : await findLeads(selection, ctx);
    const compared = "compared" in found && found.compared ? comparedData(found.compared) : undefined;
    const { currencies, all_currencies, undated } = summarize(found.leads, options);
    const allStatuses = selection.status === undefined && selection.due === undefined;
    const lines = [
      ...allCurrenciesLines(all_currencies, currencies.length, group_by, countedNoun(selection), asked),
      ...currencies.map((c) => currencyLine(c, group_by, asked, allStatuses)),
    ];
    const notes = pipelineNotes(found.leads, options, currencies);
    if (found.echo.length > 0) notes.unshift(`Understood: ${found.echo.join("; ")}.`);
    return {
      data: {
        currencies: currenciesData(currencies),
        all_currencies,
        undated,
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
