import { z } from "zod";
import { checkCustom, needsScan, queriesOf } from "../leads/filters.js";
import type { Selection } from "../leads/find.js";
import { closeCustomValues, noSuchTags } from "../leads/nothing-found.js";
import { pagedFind } from "../leads/page-snapshots.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { listLeads } from "../moco/leads.js";
import type { Lead } from "../moco/schemas.js";
import { compact, fitRows, pageData, scanData } from "../replies/rows.js";
import { checkRanges, leadFilterShape, sortShape } from "../replies/schemas/filters.js";
import { compactOut, pageOut, scanOut } from "../replies/schemas/output.js";
import { LIVE_PAGES, missingIds, searchNotes } from "../replies/search-notes.js";

const input = strictInput({
  ...leadFilterShape,
  ...sortShape,
  page: z.number().int().min(1).default(1).describe("From 1"),
  per_page: z.number().int().min(1).max(100).default(25).describe("1–100"),
  full: z.boolean().optional().describe("MOCO's full leads (≤25 per page)"),
})
  .superRefine(checkRanges)
  .refine((v) => !v.full || v.per_page <= 25, {
    path: ["per_page"],
    message: "full leads come at most 25 per page (they are large); use compact rows for more",
  });

export const listLeadsTool = defineTool({
  name: "list_leads",
  title: "List leads",
  description:
    "List, search and sort leads (deals) as compact rows. Filters MOCO lacks read every matching page. Read-only. Start here for ids.",
  input,
  output: z.object({
    leads: z.array(compactOut),
    ...pageOut,
    ...scanOut.partial().shape,
    today: z.string().optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(args, ctx) {
    const { page, per_page, full, ...selection } = args;
    const dated = args.due !== undefined || args.reminder !== undefined;
    const updated =
      args.sort === "updated_at" || args.updated_after !== undefined || args.updated_before !== undefined;
    const lines: string[] = [];
    let leads: Lead[];
    let meta: ReturnType<typeof pageData>;
    let extra: Record<string, unknown> = {};
    let today: string | undefined;
    let capped = false;
    let matched: Map<number, string> | undefined;
    if (!needsScan(selection)) {
      const live = await livePage(selection, page, per_page, ctx);
      leads = live.leads;
      meta = live.meta;
      lines.push(...live.lines);
    } else {
      const { found, keptSince, afresh } = await pagedFind(selection, page, ctx);
      today = found.today;
      capped = !found.scan.complete;
      matched = found.matched;
      const total = found.leads.length;
      leads = found.leads.slice((page - 1) * per_page, page * per_page);
      meta = { page, per_page, total, next_page: page * per_page < total ? page + 1 : null };
      extra = { ...scanData(found.scan, total), ...(dated ? { today } : {}) };
      lines.push(...searchNotes(found, { due: args.due, sort: args.sort, dated, keptSince, afresh }, ctx));
      if (!capped) lines.push(...absent(selection, found.leads));
    }
    const rows = leads.map((l) =>
      full
        ? { ...l, ...(matched?.has(l.id) ? { matched: matched.get(l.id) } : {}) }
        : compact(l, { today: dated ? today : undefined, updated, matched: matched?.get(l.id) }),
    );
    const fitted = fitRows<object>(rows);
    // A capped scan found `total` matches among the leads it read: a lower bound, never "the last page".
    const of =
      meta.total === null
        ? ""
        : capped
          ? ` of at least ${meta.total} (the matches among the leads read)`
          : ` of ${meta.total}`;
    const next =
      meta.next_page !== null
        ? `Next: page ${meta.next_page}.`
        : capped
          ? "No more pages of these matches, but more leads may match beyond the scan."
          : "This is the last page.";
    lines.unshift(
      `${leads.length} lead${leads.length === 1 ? "" : "s"}${of} on page ${meta.page ?? page}. ${next}`,
    );
    if (fitted.clippedTo !== undefined) {
      lines.push(
        `Texts were clipped to ${fitted.clippedTo} characters to keep the reply small (every lead is here); get_lead shows one in full.`,
      );
    }
    return { data: { leads: fitted.rows, ...meta, ...extra }, summary: lines.join(" ") };
  },
});

/**
 * One page of MOCO's own list, live. MOCO pages by position: a lead created or deleted between page
 * requests shifts the later pages, which cannot be prevented here, so a page with others says so.
 */
async function livePage(
  selection: Selection,
  page: number,
  per_page: number,
  ctx: Parameters<typeof checkCustom>[1] & Parameters<typeof closeCustomValues>[3],
) {
  const lines: string[] = [];
  const custom = await checkCustom(selection, ctx);
  const [query] = queriesOf(custom.args);
  const result = await listLeads(ctx.moco, { ...query, page, per_page }, ctx.call);
  const meta = pageData(result.page, page, result.leads.length, per_page);
  if (custom.echo.length > 0) lines.push(`Understood: ${custom.echo.join("; ")}.`);
  // An empty first page: a typo ("Wichtgi", "prj-2025") must not read as "no such leads" alone.
  if (result.leads.length === 0 && page === 1) {
    const hints = [
      selection.tags && selection.tags.length > 0 ? await noSuchTags(selection.tags, ctx) : undefined,
      await closeCustomValues(custom.args, custom.freeText, undefined, ctx),
    ];
    lines.push(...hints.filter((x) => x !== undefined));
  }
  // Every match is on this page only when it is page 1 with no next one.
  if (page === 1 && meta.next_page === null) lines.push(...absent(selection, result.leads));
  if (page > 1 || meta.next_page !== null) {
    lines.push(LIVE_PAGES);
  }
  return { leads: result.leads, meta, lines };
}

/** The ids asked for that none of the matches has, named (an empty list when all are there). */
function absent(selection: Selection, matches: readonly Lead[]): string[] {
  const narrowed = Object.entries(selection).some(
    ([k, v]) => v !== undefined && !["ids", "sort", "order"].includes(k),
  );
  const note = missingIds(selection.ids, matches, narrowed);
  return note ? [note] : [];
}
