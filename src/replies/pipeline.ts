import type { LeadFilterArgs } from "../leads/filters.js";
import {
  type AllCurrencies,
  type CurrencySummary,
  type GroupBy,
  groupCount,
  groupRest,
  isWindowed,
  type Split,
  type SummaryOptions,
} from "../leads/pipeline.js";
import { LEAD_STATUSES, type Lead } from "../moco/schemas.js";
import { label } from "../text.js";
import { count, money } from "./lines.js";
import { type CompactLead, compact } from "./rows.js";

/**
 * A pipeline summary as the model reads it: the largest pending leads as compact rows, one sentence
 * per currency, and notes on what the figures count where that is not obvious.
 */
export type CurrencyData = Omit<CurrencySummary, "top_pending"> & {
  top_pending?: (CompactLead & { in_window?: number })[];
};

/** The summary's currencies with their largest pending leads as compact rows. */
export function currenciesData(currencies: readonly CurrencySummary[]): CurrencyData[] {
  return currencies.map(({ top_pending, ...rest }) =>
    top_pending
      ? {
          ...rest,
          top_pending: top_pending.map(({ lead, inWindow }) =>
            inWindow === undefined ? compact(lead) : { ...compact(lead), in_window: inWindow },
          ),
        }
      : rest,
  );
}

/** Groups named in the text: the largest few, or months (in order) up to a year's worth. */
const GROUPS_SHOWN = 5;
const MONTHS_SHOWN = 12;

/** What a group is, in a sentence: one and several. */
const KINDS: Record<GroupBy, [string, string]> = {
  user: ["owner", "owners"],
  company: ["company", "companies"],
  tag: ["tag", "tags"],
  stage: ["stage", "stages"],
  month: ["month", "months"],
};
const kind = (by: GroupBy, n: number) => KINDS[by][n === 1 ? 0 : 1];

/**
 * The groups a sentence names: the first few of the list (its order: largest first, months in
 * order), and every group the filter asked for wherever it stands. Never the "(n others)" entry.
 */
function named<T extends { key: string }>(all: readonly T[], by: GroupBy, asked?: (key: string) => boolean) {
  const limit = by === "month" ? MONTHS_SHOWN : GROUPS_SHOWN;
  const folded = groupCount(all) > all.length ? all.at(-1) : undefined;
  return all.filter((g, i) => g !== folded && (i < limit || asked?.(g.key)));
}

/** "and 3 more owners: 7 leads, 30,000 CHF total" — what the groups left out add up to; undefined if none. */
function restLine(
  all: readonly { key: string }[],
  shown: readonly { key: string }[],
  by: GroupBy,
  amounts?: (rest: { count: number; total?: number; weighted?: number }) => string,
) {
  const rest = groupRest(all, new Set(shown.map((g) => g.key)));
  if (!rest || rest.groups === 0) return undefined;
  const what =
    by === "month"
      ? `and ${rest.groups} later ${kind(by, rest.groups)} up to ${label(all.at(-1)?.key ?? "")}`
      : `and ${rest.groups} more ${kind(by, rest.groups)}`;
  return `${what}: ${count(rest.count, "lead")}${amounts ? amounts(rest) : ""}`;
}

/** Total and, where pending leads give it one, weighted value: each figure says which it is. */
function amounts(c: CurrencySummary, sums: { total?: number; weighted?: number }) {
  const total = `${money(sums.total ?? 0, c.currency)} total`;
  return c.by_status.pending ? `${total}, ${money(sums.weighted ?? 0, c.currency)} weighted` : total;
}

const OPEN_STATUSES: readonly string[] = ["pending", "potential"];
const KNOWN_STATUSES: ReadonlySet<string> = new Set(LEAD_STATUSES);

/**
 * Which statuses a currency's figures include, for a selection no status narrowed: " (all statuses:
 * 85 open, 2,994,406.82 CHF total; 70 won/lost/dropped)", so a total of every status never reads as
 * open pipeline.
 */
function statusSplit(c: CurrencySummary): string {
  let open = 0;
  let openTotal = 0;
  let unknown = false;
  for (const [status, s] of Object.entries(c.by_status)) {
    if (OPEN_STATUSES.includes(status)) {
      open += s.count;
      openTotal += s.total;
    } else if (!KNOWN_STATUSES.has(status)) unknown = true;
  }
  const closed = c.count - open;
  if (closed === 0) return " (all open: pending/potential)";
  const worth = open > 0 ? `, ${money(Math.round(openTotal * 100) / 100, c.currency)} total` : "";
  return ` (all statuses: ${open} open${worth}; ${closed} won/lost/dropped${unknown ? "/other" : ""})`;
}

/**
 * One currency in a sentence: count, total and weighted value, then its groups under a headline
 * naming the kind of their figures; groups the text leaves out are added up, never dropped in silence.
 * With `allStatuses` (no status filter narrowed the leads), the count says how many are open and what
 * they are worth, and the group headline says its figures cover all statuses.
 */
export function currencyLine(
  c: CurrencySummary,
  groupBy: GroupBy | undefined,
  asked?: (key: string) => boolean,
  allStatuses = false,
): string {
  const split = allStatuses ? statusSplit(c) : "";
  const head = `${c.currency}: ${count(c.count, "lead")}, ${amounts(c, c)}${split}`;
  if (!groupBy || !c.groups || c.groups.length === 0) return head;
  const shown = named(c.groups, groupBy, asked);
  const parts = shown.map((g) => `${label(g.key)} ${count(g.count, "lead")}, ${amounts(c, g)}`);
  const rest = restLine(c.groups, shown, groupBy, (r) => `, ${amounts(c, r)}`);
  if (rest) parts.push(`${rest} (see groups)`);
  const figures = c.by_status.pending ? "leads, total, weighted" : "leads, total";
  const scope =
    allStatuses && c.count > (c.by_status.pending?.count ?? 0) + (c.by_status.potential?.count ?? 0);
  const which = scope ? "over all statuses, " : "";
  return `${head}; ${which}${c.currency} by ${kind(groupBy, 1)} (${figures}): ${parts.join("; ")}`;
}

/** What a selection's leads are, for a headline: "overdue pending leads", "leads due this week". */
export function countedNoun(selection: Pick<LeadFilterArgs, "status" | "due">): string {
  const status = selection.status ? `${selection.status} ` : "";
  if (selection.due === "overdue") return `overdue ${status}leads`;
  return `${status}leads${selection.due ? ` due ${selection.due.replace("_", " ")}` : ""}`;
}

/** "CHF 12, EUR 3": each currency's part of a count. */
const parts = (s: Split) =>
  Object.entries(s.by_currency)
    .map(([currency, n]) => `${currency} ${n}`)
    .join(", ");

/** "15 (CHF 12, EUR 3)": a count over all currencies with its part in each, when there are several. */
const split = (s: Split, several: boolean) => (several ? `${s.count} (${parts(s)})` : `${s.count}`);

/**
 * The counts over all currencies (money is never added across them, and the sentence says so): with
 * several currencies, leads and statuses; with groups, a ranking by count (months in order), which a
 * question such as "who has the most overdue leads" needs whatever the currencies.
 */
export function allCurrenciesLines(
  all: AllCurrencies,
  currencies: number,
  groupBy: GroupBy | undefined,
  noun: string,
  asked?: (key: string) => boolean,
): string[] {
  const lines: string[] = [];
  if (currencies > 1) {
    const statuses = Object.entries(all.by_status).map(([status, s]) => `${label(status)} ${split(s, true)}`);
    lines.push(
      `All ${currencies} currencies, counts only (amounts are never added across currencies): ${count(all.count, "lead")} (${parts(all)}); by status: ${statuses.join(", ")}`,
    );
  }
  const groups = all.groups ?? [];
  if (groupBy && groups.length > 0 && (currencies > 1 || groupBy !== "month")) {
    const shown = named(groups, groupBy, asked);
    const ranked = shown.map((g) => `${label(g.key)} ${split(g, currencies > 1)}`);
    const rest = restLine(groups, shown, groupBy);
    if (rest) ranked.push(rest);
    const where = currencies > 1 ? ", all currencies" : "";
    const headline =
      groupBy === "month" ? `${noun} by month${where}` : `Most ${noun} by ${kind(groupBy, 1)}${where}`;
    lines.push(`${headline[0]?.toUpperCase()}${headline.slice(1)}: ${ranked.join(", ")}`);
  }
  return lines;
}

/**
 * A status MOCO may add one day (or an account's data may carry) is kept under its own key in
 * by_status, after the known five, so by_status always adds up to the count; the note says so.
 */
function unknownStatuses(summaries: readonly CurrencySummary[]): string[] {
  const unknown = new Map<string, number>();
  for (const c of summaries)
    for (const [status, s] of Object.entries(c.by_status))
      if (!KNOWN_STATUSES.has(status)) unknown.set(status, (unknown.get(status) ?? 0) + s.count);
  if (unknown.size === 0) return [];
  const n = [...unknown.values()].reduce((a, b) => a + b, 0);
  const list = [...unknown].map(([status, count]) => `${label(status)}: ${count}`).join(", ");
  return [
    `${n === 1 ? "1 lead has a status" : `${n} leads have statuses`} outside ${LEAD_STATUSES.join(", ")} (${list}): counted in the totals and in by_status under that status, with no weight.`,
  ];
}

/** What the figures count, said where it is not obvious. */
export function pipelineNotes(
  leads: readonly Lead[],
  options: SummaryOptions,
  currencies: readonly CurrencySummary[],
): string[] {
  const notes: string[] = [];
  if (isWindowed(options)) {
    const span = `${options.from ?? "…"} to ${options.to ?? "…"}`;
    notes.push(
      options.monthBasis === "service_period"
        ? `Amounts are the parts of each lead's value that fall in ${span} (service periods spread evenly over their months); top_pending.in_window is that part.`
        : `Only leads whose ${options.monthBasis} falls in ${span} are counted.`,
    );
  }
  if (options.groupBy === "tag" && leads.some((l) => l.tags.length > 1)) {
    notes.push(
      "Tag groups overlap: a lead with several tags counts in each of them, so their totals add up to more than the whole.",
    );
  }
  return [...notes, ...unknownStatuses(currencies)];
}
