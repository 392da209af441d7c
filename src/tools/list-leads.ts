import { z } from "zod";
import { compact, fitToCap, REPLY_CAP_BYTES, scanNote } from "../leads/compact.js";
import { mocoFilters, pushDown } from "../leads/filters.js";
import { pageData, pageOut } from "../leads/output.js";
import { daysOverdue, type SearchResult, scans, searchFields, searchLeads } from "../leads/search.js";
import { listLeads } from "../moco/leads.js";
import type { Lead } from "../moco/schemas.js";
import { defineTool } from "../tool.js";

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
    "List or search leads (deals), compact unless full=true. MOCO's own filters cost one request per page; search, follow-ups (due_within_days) and sort scan all matching pages. Read-only. Start here for ids.",
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
    const filters = await pushDown(
      Object.fromEntries(Object.keys(mocoFilters).map((k) => [k, rest[k as keyof typeof rest]])),
      ctx,
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
      meta = pageData(result.page, page, result.leads.length, per_page);
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
    // A capped scan found `total` matches among the leads it read: a lower bound, never "the last page".
    const capped = found?.scan.complete === false ? found.scan : undefined;
    const of =
      meta.total === null
        ? ""
        : capped
          ? ` of at least ${meta.total} (the matches among the ${capped.scanned} leads scanned)`
          : ` of ${meta.total}`;
    const next =
      meta.next_page !== null
        ? `Next: page ${meta.next_page}.`
        : capped
          ? "No more pages of these matches, but more leads may match beyond the scan."
          : "This is the last page.";
    const lines = [`${leads.length} leads${of} on page ${meta.page ?? page}. ${next}`];
    if (due) lines.unshift(`Follow-ups due by ${due.until} (today ${due.today}): ${due.overdue} overdue.`);
    if (found) lines.push(scanNote(found.scan, ctx.maxScanPages));
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
