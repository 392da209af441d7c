import { z } from "zod";
import { listLeads } from "../moco/leads.js";
import { defineTool } from "./define.js";
import { customProperties, date, id, status, tags, timestamp } from "./fields.js";
import { leadOut, pageData, pageOut } from "./outputs.js";

export const toUtc = (timestamp: string) => new Date(timestamp).toISOString().replace(/\.\d{3}Z$/, "Z");

/** MOCO's own filters for GET /deals, shared by every tool that lists leads. */
export const mocoFilters = {
  status: status.optional(),
  tags: tags.optional().describe('Only leads with these tags, e.g. ["Wichtig"]'),
  company_id: id("Only leads of this company").optional(),
  closed_from: date("Closed on or after").optional(),
  closed_to: date("Closed on or before").optional(),
  ids: z.array(id("Lead")).min(1).max(100).optional().describe("Only these lead ids, e.g. [4711, 4712]"),
  updated_after: timestamp
    .optional()
    .describe("Only leads created or updated after this time, e.g. 2026-01-31T14:30:00Z"),
  custom_properties: customProperties
    .optional()
    .describe('Exact match on custom fields, e.g. {"Quelle": "Website"}'),
};

export const listLeadsTool = defineTool({
  name: "list_leads",
  title: "List leads",
  description:
    "List MOCO leads (deals) one page at a time, filtered by MOCO's own filters. Read-only. Start here to find a lead's id.",
  input: z.strictObject({
    ...mocoFilters,
    page: z.number().int().min(1).default(1).describe("Page number from 1, e.g. 2"),
    per_page: z.number().int().min(1).max(100).default(25).describe("Leads per page, 1–100 (default 25)"),
  }),
  output: z.object({ leads: z.array(leadOut), ...pageOut }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(args, ctx) {
    const filters = { ...args, updated_after: args.updated_after && toUtc(args.updated_after) };
    const { leads, page } = await listLeads(ctx.moco, filters, ctx.call);
    const meta = pageData(page);
    const total = meta.total === null ? "" : ` of ${meta.total}`;
    const next = meta.next_page === null ? "This is the last page." : `Next: page ${meta.next_page}.`;
    return {
      data: { leads, ...meta },
      summary: `${leads.length} leads${total} on page ${meta.page ?? args.page}. ${next}`,
    };
  },
});
