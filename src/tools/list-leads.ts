import { z } from "zod";
import { listLeads } from "../moco/leads.js";
import type { Lead } from "../moco/schemas.js";
import { compact, fitToCap, REPLY_CAP_BYTES, scanNote } from "./compact.js";
import { defineTool } from "./define.js";
import { customProperties, date, id, status, tags, timestamp } from "./fields.js";
import { pageData, pageOut } from "./outputs.js";
import { daysOverdue, type SearchResult, scans, searchFields, searchLeads } from "./search-leads.js";

export const toUtc = (timestamp: string) => new Date(timestamp).toISOString().replace(/\.\d{3}Z$/, "Z");

/** MOCO's own filters for GET /deals, shared by every tool that lists leads. */
export const mocoFilters = {
  status: status.optional().describe("Lead status; pending = open, in the pipeline"),
  tags: tags.optional().describe('Only leads with these tags, e.g. ["Wichtig"]'),
  company_id: id("Company").optional().describe("Only leads of this company (id), e.g. 4711"),
  closed_from: date("Closed on or after").optional(),
  closed_to: date("Closed on or before").optional(),
  ids: z
    .array(z.number().int().positive())
    .min(1)
    .max(100)
    .optional()
    .describe("Only these lead ids, e.g. [4711, 4712]"),
  updated_after: timestamp
    .optional()
    .describe("Only leads created or updated after this time, e.g. 2026-01-31T14:30:00Z"),
  custom_properties: customProperties
    .optional()
    .describe('Exact match on custom fields, e.g. {"Quelle": "Website"}'),
};

/**
 * The same filters for other tools, as one object argument: validated exactly as list_leads validates
 * them, while tools/list spells them out once (every byte of it is paid in every conversation).
 */
export const filtersArg = z
  .record(z.string(), z.unknown())
  .pipe(z.strictObject(mocoFilters))
  .optional()
  .describe('MOCO\'s filters as list_leads takes them, e.g. {"status":"pending","tags":["Wichtig"]}');

/** The filters as MOCO wants them (timestamps in UTC). */
export const pushDown = <T extends { updated_after?: string | undefined }>(args: T) => ({
  ...args,
  updated_after: args.updated_after && toUtc(args.updated_after),
});

const input = z.strictObject({
  ...mocoFilters,
  ...searchFields,
  page: z.number().int().min(1).default(1).describe("Page number from 1, e.g. 2"),
  per_page: z.number().int().min(1).max(100).default(25).describe("Leads per page, 1–100 (default 25)"),
  full: z.boolean().optional().describe("true: MOCO's full leads, not compact"),
});

export const listLeadsTool = defineTool({
  name: "list_leads",
  title: "List leads",
  description:
    "List or search MOCO leads (deals), compact unless full=true. MOCO's own filters cost one request per page; search, follow-ups (due_within_days) and sort scan all matching pages. Read-only. Start here to find ids.",
  input,
  output: z.object({
    leads: z.array(z.looseObject({ id: z.number(), name: z.string() })),
    ...pageOut,
    omitted: z.number().optional(),
    scanned: z.number().optional(),
    complete: z.boolean().optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(args, ctx) {
    const { page, per_page, full, ...rest } = args;
    const filters = pushDown(
      Object.fromEntries(Object.keys(mocoFilters).map((k) => [k, rest[k as keyof typeof rest]])),
    );
    let leads: Lead[];
    let meta: ReturnType<typeof pageData>;
    let found: SearchResult | undefined;
    if (scans(args)) {
      found = await searchLeads(filters, args, ctx);
      leads = found.leads.slice((page - 1) * per_page, page * per_page);
      const total = found.leads.length;
      meta = { page, per_page, total, next_page: page * per_page < total ? page + 1 : null };
    } else {
      const result = await listLeads(ctx.moco, { ...filters, page, per_page }, ctx.call);
      leads = result.leads;
      meta = pageData(result.page);
    }
    const due = found?.due;
    const shown = fitToCap<object>(
      leads.map((l) => {
        if (full) return l;
        const c = compact(l);
        if (due) return { ...c, days_overdue: daysOverdue(l, due.today) };
        return args.sort === "updated_at" ? { ...c, updated_at: l.updated_at } : c;
      }),
    );
    const of = meta.total === null ? "" : ` of ${meta.total}`;
    const next = meta.next_page === null ? "This is the last page." : `Next: page ${meta.next_page}.`;
    const lines = [`${leads.length} leads${of} on page ${meta.page ?? page}. ${next}`];
    if (due) lines.unshift(`Follow-ups due by ${due.until} (today ${due.today}): ${due.overdue} overdue.`);
    if (found) lines.push(scanNote(found.scan, ctx.config.maxScanPages));
    const scan = found ? { scanned: found.scan.scanned, complete: found.scan.complete } : {};
    if (shown.length === leads.length)
      return { data: { leads: shown, ...meta, ...scan }, summary: lines.join(" ") };
    // The rest of this page stays reachable, without gaps, through a smaller page size.
    const firstLeft = (page - 1) * per_page + shown.length + 1;
    lines.unshift(
      `Showing ${shown.length} of the ${leads.length} leads on page ${page} (replies are capped at ${REPLY_CAP_BYTES / 1000} KB). ` +
        `For the rest ask per_page=${shown.length}, page=${Math.ceil(firstLeft / shown.length)}; with per_page=${per_page}:`,
    );
    return {
      data: { leads: shown, ...meta, omitted: leads.length - shown.length, ...scan },
      summary: lines.join(" "),
    };
  },
});
