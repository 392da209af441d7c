import { weekOf } from "../leads/dates.js";
import type { DUE } from "../leads/filters.js";
import { dueInDays, type Found, type Sort } from "../leads/find.js";
import type { Lead } from "../moco/schemas.js";
import { scanNote } from "./scan-note.js";

/**
 * The sentences of a search's page (list_leads): how the filters were understood, follow-up counts
 * with their scope, where a query matched, what was read, and how the page relates to the others.
 * Each says what it counts, so that none reads as a plain fact about the whole account.
 */
export interface PageOf {
  due?: (typeof DUE)[number];
  sort?: Sort;
  /** Whether dates matter (due or reminder): follow-ups are counted. */
  dated: boolean;
  /** When the matches this page was cut from were read (ISO), for a later page. */
  keptSince?: string;
  /** A later page whose matches were read afresh. */
  afresh?: true;
}

export function searchNotes(found: Found, page: PageOf, ctx: { maxScanPages: number }): string[] {
  const lines: string[] = [];
  const total = found.leads.length;
  if (found.echo.length > 0) lines.push(`Understood: ${found.echo.join("; ")}.`);
  if (page.dated)
    lines.push(dueCounts(found, page.due === undefined ? "the reminder range" : DUE_SCOPE[page.due]));
  const matched = found.matched;
  if (matched && matched.size > 0) {
    const names = total - matched.size;
    const after = page.sort === undefined && page.due === undefined ? "listed after them; " : "";
    lines.push(
      `${names} match${names === 1 ? "es" : ""} the words in the name; ${matched.size} only elsewhere (${after}"matched" says where).`,
    );
  }
  lines.push(scanNote(found.scan, total, ctx.maxScanPages, found.asOf));
  if (page.keptSince) {
    lines.push(
      `This page is cut from the matches as read at ${page.keptSince.slice(11, 19)} UTC for page 1, so pages neither skip nor repeat a lead; leads changed since show as they were then (page 1 reads afresh).`,
    );
  }
  if (page.afresh) {
    lines.push(
      "The matches were read afresh for this page (none kept from page 1): if leads were created or deleted since the earlier pages, a lead may have moved between pages; page 1 reads them all again.",
    );
  }
  return lines;
}

/**
 * The ids asked for that no lead of the matches has, named: "1 lead of 1" must not read as if every
 * id asked for were there. `narrowed`: other filters than ids took part, so a lead may exist and just
 * not match them. Undefined when every id was found.
 */
export function missingIds(ids: readonly number[] | undefined, found: readonly Lead[], narrowed: boolean) {
  if (!ids || ids.length === 0) return undefined;
  const have = new Set(found.map((l) => l.id));
  const missing = [...new Set(ids)].filter((id) => !have.has(id));
  if (missing.length === 0) return undefined;
  const list = missing.join(", ");
  const one = missing.length === 1;
  return narrowed
    ? `Not among the matches: id${one ? "" : "s"} ${list} (no such lead, or the other filters exclude ${one ? "it" : "them"}).`
    : `No lead found with id${one ? "" : "s"} ${list}: ${one ? "it does" : "they do"} not exist (or ${one ? "was" : "were"} deleted).`;
}

/** A live MOCO page that has others: MOCO pages by position, which cannot be made stable here. */
export const LIVE_PAGES =
  "MOCO pages by position: a lead created or deleted between page requests shifts later pages (one may be skipped or repeated). With sort, all matches are read at once and later pages cannot shift.";

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
  const among = `${when}Open follow-ups among ${n === 1 ? "this 1 match" : `these ${n} matches`}: ${counts(found.leads, found.today)}.`;
  if (!found.outside) return among;
  const more = found.outside.length;
  const besides = scope === "the overdue ones" ? "Besides the overdue ones" : `Outside ${scope}`;
  return `${among} ${besides}, the same filters hold ${more} more open follow-up${more === 1 ? "" : "s"}${more === 0 ? "" : `: ${counts(found.outside, found.today, true)}`}.`;
}
