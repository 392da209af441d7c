import { LEAD_STATUSES, type Lead } from "../moco/schemas.js";
import { monthOf, monthsBetween } from "./dates.js";
import { userName } from "./refs.js";
import { stageOrder } from "./stages.js";

/**
 * The pipeline arithmetic MOCO has no endpoint for. Money is never added across currencies. Weighted
 * value = money × stage probability / 100, for pending leads only: MOCO's stage (deal category) only
 * matters while a lead is pending; a `potential` lead is not in the pipeline yet, so it is counted and
 * summed under its status but carries no weight.
 */
export type GroupBy = "user" | "company" | "tag" | "stage" | "month";
export type MonthBasis = "reminder_date" | "closed_on" | "service_period";

export interface SummaryOptions {
  groupBy?: GroupBy;
  monthBasis: MonthBasis;
  /** Months YYYY-MM, inclusive; a lead then counts with the part of its value inside the window. */
  from?: string;
  to?: string;
  top: number;
}

interface Sums {
  count: number;
  total: number;
  weighted: number;
}

export interface CurrencySummary extends Sums {
  currency: string;
  by_status: Record<string, { count: number; total: number }>;
  /** Pending leads by stage; left out when nothing is pending. */
  by_stage?: ({ stage: string; probability: number } & Sums)[];
  groups?: ({ key: string } & Sums)[];
  /** The largest pending leads; with a month window, `inWindow` is the part of the value inside it. */
  top_pending?: TopLead[];
}

export interface TopLead {
  lead: Lead;
  inWindow?: number;
}

const MAX_GROUPS = 25;

/** The months a lead's value falls in, each with its share of the value (shares add up to 1). */
function monthShares(lead: Lead, basis: MonthBasis): [string, number][] {
  if (basis !== "service_period") {
    const date = lead[basis];
    return date ? [[monthOf(date), 1]] : [];
  }
  const from = lead.service_period_from ?? lead.service_period_to;
  const to = lead.service_period_to ?? from;
  if (!from || !to) return [];
  const months = monthsBetween(from, monthOf(to));
  // A period ending before it starts (MOCO refuses those, but data is data) counts in its first month.
  if (months.length === 0) return [[monthOf(from), 1]];
  return months.map((month) => [month, 1 / months.length]);
}

const round = (n: number) => Math.round(n * 100) / 100;
const weight = (lead: Lead) => (lead.status === "pending" ? (lead.category?.probability ?? 0) / 100 : 0);
const empty = (): Sums => ({ count: 0, total: 0, weighted: 0 });

function add(sums: Sums, lead: Lead, amount: number) {
  sums.count++;
  sums.total += amount;
  sums.weighted += amount * weight(lead);
}

const rounded = <T extends Partial<Sums>>(s: T): T => ({
  ...s,
  ...(s.total === undefined ? {} : { total: round(s.total) }),
  ...(s.weighted === undefined ? {} : { weighted: round(s.weighted) }),
});

function groupKeys(lead: Lead, by: GroupBy, shares: [string, number][]): [string, number][] {
  if (by === "month") return shares.length > 0 ? shares : [["(no date)", 1]];
  if (by === "user") return [[userName(lead) ?? "(no user)", 1]];
  if (by === "company") return [[lead.company?.name ?? "(no company)", 1]];
  if (by === "stage") return [[lead.category?.name ?? "(no stage)", 1]];
  return lead.tags.length > 0 ? lead.tags.map((t) => [t, 1]) : [["(no tag)", 1]];
}

/** How many groups a capped list stands for (its "(n others)" entry counts n), beside the data. */
const groupTotals = new WeakMap<readonly unknown[], number>();
export const groupCount = (groups: readonly unknown[]) => groupTotals.get(groups) ?? groups.length;

function finishGroups(groups: Map<string, Sums>, by: GroupBy) {
  const list = [...groups].map(([key, s]) => ({ key, ...s }));
  if (by === "month") return list.sort((a, b) => a.key.localeCompare(b.key)).map(rounded);
  list.sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  if (list.length > MAX_GROUPS) {
    const rest = list.splice(MAX_GROUPS - 1);
    const other = { key: `(${rest.length} others)`, ...empty() };
    for (const g of rest) {
      other.count += g.count;
      other.total += g.total;
      other.weighted += g.weighted;
    }
    list.push(other);
  }
  const out = list.map(rounded);
  groupTotals.set(out, groups.size);
  return out;
}

const KNOWN_STATUSES: ReadonlySet<string> = new Set(LEAD_STATUSES);

/** Whether a month window applies (then amounts are the parts of values inside it). */
export const isWindowed = (options: Pick<SummaryOptions, "from" | "to">) =>
  options.from !== undefined || options.to !== undefined;

export function summarize(leads: readonly Lead[], options: SummaryOptions) {
  const windowed = isWindowed(options);
  const spread = windowed || options.groupBy === "month";
  const inWindow = (month: string) =>
    (options.from === undefined || month >= options.from) &&
    (options.to === undefined || month <= options.to);
  const currencies = new Map<
    string,
    {
      sums: CurrencySummary & { by_stage: NonNullable<CurrencySummary["by_stage"]> };
      groups: Map<string, Sums>;
      pending: [Lead, number][];
    }
  >();
  let undated = 0;
  for (const lead of leads) {
    let shares = spread ? monthShares(lead, options.monthBasis) : [];
    if (windowed) {
      if (shares.length === 0) undated++;
      shares = shares.filter(([month]) => inWindow(month));
      if (shares.length === 0) continue;
    }
    const part = windowed ? shares.reduce((a, [, s]) => a + s, 0) : 1;
    const amount = lead.money * part;
    let c = currencies.get(lead.currency);
    if (!c) {
      // No prototype: a status is MOCO's text, and "__proto__" must be a status like any other.
      const by_status: CurrencySummary["by_status"] = Object.create(null);
      const sums = { currency: lead.currency, ...empty(), by_status, by_stage: [] };
      c = { sums, groups: new Map(), pending: [] };
      currencies.set(lead.currency, c);
    }
    add(c.sums, lead, amount);
    const status = c.sums.by_status[lead.status] ?? { count: 0, total: 0 };
    status.count++;
    status.total += amount;
    c.sums.by_status[lead.status] = status;
    if (lead.status === "pending") {
      c.pending.push([lead, amount]);
      const name = lead.category?.name ?? "(no stage)";
      let stage = c.sums.by_stage.find((s) => s.stage === name);
      if (!stage) {
        stage = { stage: name, probability: lead.category?.probability ?? 0, ...empty() };
        c.sums.by_stage.push(stage);
      }
      add(stage, lead, amount);
    }
    if (options.groupBy) {
      for (const [key, share] of groupKeys(lead, options.groupBy, shares)) {
        const group = c.groups.get(key) ?? empty();
        add(group, lead, options.groupBy === "month" ? lead.money * share : amount);
        c.groups.set(key, group);
      }
    }
  }
  const summaries = [...currencies.values()].map(({ sums, groups, pending }) => {
    const { by_stage: stages, ...totals } = sums;
    const out: CurrencySummary = {
      ...rounded(totals),
      // The known statuses in pipeline order, then any other MOCO sent, by name.
      by_status: Object.fromEntries(
        [
          ...LEAD_STATUSES,
          ...Object.keys(sums.by_status)
            .filter((s) => !KNOWN_STATUSES.has(s))
            .sort(),
        ].flatMap((s) => {
          const status = sums.by_status[s];
          return status ? [[s, rounded(status)]] : [];
        }),
      ),
    };
    if (stages.length > 0) {
      out.by_stage = stages
        .sort((a, b) => stageOrder({ ...a, name: a.stage }, { ...b, name: b.stage }))
        .map(rounded);
    }
    if (options.groupBy) out.groups = finishGroups(groups, options.groupBy);
    if (options.top > 0 && pending.length > 0) {
      // Ordered by the value that counts here: inside the window, when there is one.
      out.top_pending = pending
        .sort(([a, x], [b, y]) => y - x || b.money - a.money || a.id - b.id)
        .slice(0, options.top)
        .map(([lead, amount]) => (windowed ? { lead, inWindow: round(amount) } : { lead }));
    }
    return out;
  });
  summaries.sort((a, b) => b.count - a.count || a.currency.localeCompare(b.currency));
  return { currencies: summaries, undated };
}
