import { z } from "zod";
import { scanData, scanNote } from "../leads/compact.js";
import { filtersArg, pushDown } from "../leads/filters.js";
import { money, scanOut } from "../leads/output.js";
import { type CurrencySummary, summarize } from "../leads/pipeline.js";
import { scanLeads } from "../moco/scan.js";
import { defineTool } from "../tool.js";

const month = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "expected a month YYYY-MM, e.g. 2026-01")
    .describe(`${what}, YYYY-MM`);

const currencyLine = (c: CurrencySummary) =>
  `${c.currency}: ${c.count} leads, ${money(c.total, c.currency)}, weighted pending ${money(c.weighted, c.currency)}`;

export const pipelineSummaryTool = defineTool({
  name: "pipeline_summary",
  title: "Pipeline summary",
  description:
    "Forecast over all matching leads, per currency (never summed across): by status and stage, weighted value (pending × probability), largest pending leads. Read-only.",
  input: z
    .strictObject({
      filters: filtersArg,
      group_by: z.enum(["user", "company", "tag", "month"]).optional().describe("Also group by this"),
      month_basis: z
        .enum(["reminder_date", "closed_on", "service_period"])
        .default("reminder_date")
        .describe("Date placing a lead in a month; service_period spreads the value evenly"),
      from: month("Only value in or after this month").optional(),
      to: month("Only value in or before this month").optional(),
      top: z.number().int().min(0).max(20).default(5).describe("Largest pending leads per currency"),
    })
    .refine((v) => v.from === undefined || v.to === undefined || v.from <= v.to, {
      path: ["to"],
      message: "to must not be before from",
    }),
  output: z.object({
    currencies: z.array(z.looseObject({ currency: z.string() })),
    undated: z.number(),
    ...scanOut,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run({ filters = {}, group_by, month_basis, from, to, top }, ctx) {
    const scan = await scanLeads(ctx.moco, await pushDown(filters, ctx), {
      ...ctx.call,
      maxPages: ctx.maxScanPages,
      onPage: (pages, expected, scanned) => ctx.progress(pages, expected, `Read ${scanned} leads`),
    });
    const result = summarize(scan.leads, { groupBy: group_by, monthBasis: month_basis, from, to, top });
    const lines = result.currencies.map(currencyLine);
    return {
      data: { ...result, ...scanData(scan) },
      summary: `${lines.join("; ") || "No matching leads"}. ${scanNote(scan, ctx.maxScanPages)}`,
    };
  },
});
