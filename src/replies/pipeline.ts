import {
  type CurrencySummary,
  type GroupBy,
  groupCount,
  isWindowed,
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

/** One currency in a sentence; groups the text leaves out are said, never dropped in silence. */
export function currencyLine(c: CurrencySummary, groupBy: GroupBy | undefined): string {
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

const KNOWN_STATUSES: ReadonlySet<string> = new Set(LEAD_STATUSES);

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
