import { z } from "zod";
import { weekOf } from "../leads/dates.js";
import { checkCustom, needsScan, queriesOf } from "../leads/filters.js";
import { dueInDays, type Found, type Selection } from "../leads/find.js";
import { closeCustomValues, noSuchTags } from "../leads/nothing-found.js";
import { pagedFind } from "../leads/page-snapshots.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { listLeads } from "../moco/leads.js";
import type { Lead } from "../moco/schemas.js";
import { compact, fitRows, pageData, scanData } from "../replies/rows.js";
import { scanNote } from "../replies/scan-note.js";
import { checkRanges, leadFilterShape, sortShape } from "../replies/schemas/filters.js";
import { compactOut, pageOut, scanOut } from "../replies/schemas/output.js";

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
      if (found.echo.length > 0) lines.push(`Understood: ${found.echo.join("; ")}.`);
      if (dated)
        lines.push(dueCounts(found, args.due === undefined ? "the reminder range" : DUE_SCOPE[args.due]));
      if (matched && matched.size > 0) {
        const names = total - matched.size;
        const after = args.sort === undefined && args.due === undefined ? "listed after them; " : "";
        lines.push(
          `${names} match${names === 1 ? "es" : ""} the words in the name; ${matched.size} only elsewhere (${after}"matched" says where).`,
        );
      }
      lines.push(scanNote(found.scan, total, ctx.maxScanPages, found.asOf));
      if (keptSince) {
        lines.push(
          `This page is cut from the matches as read at ${keptSince.slice(11, 19)} UTC for page 1, so pages neither skip nor repeat a lead; leads changed since show as they were then (page 1 reads afresh).`,
        );
      }
      if (afresh) {
        lines.push(
          "The matches were read afresh for this page (none kept from page 1): if leads were created or deleted since the earlier pages, a lead may have moved between pages; page 1 reads them all again.",
        );
      }
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
  if (page > 1 || meta.next_page !== null) {
    lines.push(
      "MOCO pages by position: a lead created or deleted between page requests shifts later pages (one may be skipped or repeated). With sort, all matches are read at once and later pages cannot shift.",
    );
  }
  return { leads: result.leads, meta, lines };
}

const DUE_SCOPE = {
  overdue: "the overdue ones",
  today: "today",
  this_week: "this week",
  next_week: "next week",
  this_month: "this month",
} as const;

/** "3 overdue, 1 due today, 5 later" (the zero parts left out when `terse`), or "none". */
function counts(leads: readonly Lead[], today: string, terse = false): string {
  const days = leads.map((l) => dueInDays(l, today)).filter((d) => d !== undefined);
  const overdue = days.filter((d) => d < 0).length;
  const todays = days.filter((d) => d === 0).length;
  const parts: [number, string][] = [
    [overdue, "overdue"],
    [todays, "due today"],
    [days.length - overdue - todays, "later"],
  ];
  const shown = terse ? parts.filter(([n]) => n > 0) : parts;
  return shown.length === 0 ? "none" : shown.map(([n, what]) => `${n} ${what}`).join(", ");
}

/**
 * Follow-up counts over the matches, and, where the filter narrowed the dates, what the same filters
 * hold outside them: "0 overdue this week" must not read as "nothing overdue".
 */
function dueCounts(found: Found, scope: string): string {
  const { monday, sunday } = weekOf(found.today);
  const when =
    scope === "the reminder range" ? `Today is ${found.today} (this week: ${monday} to ${sunday}). ` : "";
  const n = found.leads.length;
  const among = `${when}Open follow-ups among these ${n} match${n === 1 ? "" : "es"}: ${counts(found.leads, found.today)}.`;
  if (!found.outside) return among;
  const more = found.outside.length;
  const besides = scope === "the overdue ones" ? "Besides the overdue ones" : `Outside ${scope}`;
  return `${among} ${besides}, the same filters hold ${more} more open follow-up${more === 1 ? "" : "s"}${more === 0 ? "" : `: ${counts(found.outside, found.today, true)}`}.`;
}
