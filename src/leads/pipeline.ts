import { LEAD_STATUSES, type Lead } from "../moco/schemas.js";
import { monthOf, monthsBetween } from "./dates.js";
import type { LeadFilterArgs } from "./filters.js";
import { userName } from "./refs.js";
import { stageOrder } from "./stages.js";

/**
 * The pipeline arithmetic MOCO has no endpoint for. Money is never added across currencies; counts
 * (leads by status, stage and group) are also given over all currencies, with each one's part. Weighted
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
  /**
   * Groups the filter asked for (the owner of `user`, the stage of `stage`, the asked `tags`): never
   * folded into "(n others)", so a reply can always name them.
   */
  asked?: (key: string) => boolean;
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

/** A count over every currency, with its part in each (counts may be added across currencies, money never). */
export interface Split {
  count: number;
  by_currency: Record<string, number>;
}

/** The counts of a summary over all currencies: leads, by status, pending by stage, groups. */
export interface AllCurrencies extends Split {
  by_status: Record<string, Split>;
  by_stage?: ({ stage: string } & Split)[];
  /** By count (months in order), capped like a currency's groups; asked groups are never folded. */
  groups?: ({ key: string } & Split)[];
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

/** A group's leads, each with the amount it counts with there (a month's share of a spread value). */
type Members = Map<number, [Lead, number]>;
interface Group extends Sums {
  members: Members;
}

/**
 * Beside the data (never in it): how many groups a capped list stands for (its "(n others)" entry
 * counts n), and every group's leads, so the part a reply leaves out can be added up exactly.
 */
interface Beside {
  size: number;
  by: GroupBy;
  members: Map<string, Members>;
  /** Groups over all currencies: what they leave out is counted, never summed. */
  across: boolean;
}
const groupTotals = new WeakMap<readonly unknown[], Beside>();
export const groupCount = (groups: readonly unknown[]) => groupTotals.get(groups)?.size ?? groups.length;

/**
 * What the groups not named add up to: the leads in any of them, each once (a lead with several
 * left-out tags is one lead; a value spread over left-out months counts with the sum of its shares).
 */
export function groupRest(groups: readonly { key: string }[], named: ReadonlySet<string>) {
  const known = groupTotals.get(groups);
  if (!known) return undefined;
  const leads: Members = new Map();
  let hidden = 0;
  for (const [key, members] of known.members) {
    if (named.has(key)) continue;
    hidden++;
    for (const [id, [lead, amount]] of members) {
      const before = leads.get(id)?.[1] ?? 0;
      leads.set(id, [lead, known.by === "month" ? before + amount : amount]);
    }
  }
  const sums = empty();
  for (const [lead, amount] of leads.values()) add(sums, lead, amount);
  if (known.across) return { groups: hidden, count: sums.count };
  return { groups: hidden, ...rounded(sums) };
}

/** Largest first by `size`, months in order; past MAX_GROUPS the rest is one "(n others)" entry, asked ones kept. */
function capped<T extends { key: string }>(
  list: T[],
  size: (g: T) => number,
  options: Pick<SummaryOptions, "groupBy" | "asked">,
  fold: (rest: T[], key: string) => T,
): T[] {
  if (options.groupBy === "month") return list.sort((a, b) => a.key.localeCompare(b.key));
  list.sort((a, b) => size(b) - size(a) || a.key.localeCompare(b.key));
  if (list.length <= MAX_GROUPS) return list;
  const asked = list.filter((g) => options.asked?.(g.key));
  const room = Math.max(MAX_GROUPS - 1 - asked.length, 0);
  const kept = list.filter((g, i) => i < room || options.asked?.(g.key));
  const rest = list.filter((g, i) => !(i < room || options.asked?.(g.key)));
  if (rest.length === 0) return kept;
  return [...kept, fold(rest, `(${rest.length} others)`)];
}

function remember<T>(out: T[], groups: Map<string, { members: Members }>, by: GroupBy, across = false): T[] {
  const members = new Map([...groups].map(([key, g]) => [key, g.members]));
  groupTotals.set(out, { size: groups.size, by, members, across });
  return out;
}

function finishGroups(groups: Map<string, Group>, options: SummaryOptions & { groupBy: GroupBy }) {
  const list = [...groups].map(([key, { count, total, weighted }]) => ({ key, count, total, weighted }));
  const out = capped(
    list,
    (g) => g.total,
    options,
    (rest, key) => {
      const other = { key, ...empty() };
      for (const g of rest) {
        other.count += g.count;
        other.total += g.total;
        other.weighted += g.weighted;
      }
      return other;
    },
  ).map(rounded);
  return remember(out, groups, options.groupBy);
}

const KNOWN_STATUSES: ReadonlySet<string> = new Set(LEAD_STATUSES);

/**
 * The groups a selection asks for by name: with `user`, `stage` or `company_id` every group of that
 * kind (the filter leaves one); with `tags`, the asked tags (matched as MOCO does, ignoring case).
 */
export function askedGroups(
  selection: Pick<LeadFilterArgs, "user" | "stage" | "company_id" | "tags">,
  groupBy: GroupBy | undefined,
): ((key: string) => boolean) | undefined {
  const one = { user: selection.user, stage: selection.stage, company: selection.company_id };
  if (groupBy && groupBy !== "tag" && groupBy !== "month" && one[groupBy] !== undefined) return () => true;
  if (groupBy !== "tag" || !selection.tags || selection.tags.length === 0) return undefined;
  const tags = new Set(selection.tags.map((t) => t.trim().toLowerCase()));
  return (key) => tags.has(key.trim().toLowerCase());
}

/** Whether a month window applies (then amounts are the parts of values inside it). */
export const isWindowed = (options: Pick<SummaryOptions, "from" | "to">) =>
  options.from !== undefined || options.to !== undefined;

interface Tally {
  sums: CurrencySummary & { by_stage: NonNullable<CurrencySummary["by_stage"]> };
  groups: Map<string, Group>;
  pending: [Lead, number][];
}

function tallyOf(currencies: Map<string, Tally>, currency: string): Tally {
  let c = currencies.get(currency);
  if (!c) {
    // No prototype: a status is MOCO's text, and "__proto__" must be a status like any other.
    const by_status: CurrencySummary["by_status"] = Object.create(null);
    const sums = { currency, ...empty(), by_status, by_stage: [] };
    c = { sums, groups: new Map(), pending: [] };
    currencies.set(currency, c);
  }
  return c;
}

function tally(c: Tally, lead: Lead, amount: number, shares: [string, number][], options: SummaryOptions) {
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
      const group = c.groups.get(key) ?? { ...empty(), members: new Map() };
      const part = options.groupBy === "month" ? lead.money * share : amount;
      add(group, lead, part);
      group.members.set(lead.id, [lead, (group.members.get(lead.id)?.[1] ?? 0) + part]);
      c.groups.set(key, group);
    }
  }
}

/** The known statuses in pipeline order, then any other MOCO sent, by name. */
const statusOrder = (statuses: Iterable<string>) => [
  ...LEAD_STATUSES,
  ...[...new Set(statuses)].filter((s) => !KNOWN_STATUSES.has(s)).sort(),
];

function finish({ sums, groups, pending }: Tally, options: SummaryOptions): CurrencySummary {
  const { by_stage: stages, ...totals } = sums;
  const out: CurrencySummary = {
    ...rounded(totals),
    by_status: Object.fromEntries(
      statusOrder(Object.keys(sums.by_status)).flatMap((s) => {
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
  if (options.groupBy) out.groups = finishGroups(groups, { ...options, groupBy: options.groupBy });
  if (options.top > 0 && pending.length > 0) {
    // Ordered by the value that counts here: inside the window, when there is one.
    out.top_pending = pending
      .sort(([a, x], [b, y]) => y - x || b.money - a.money || a.id - b.id)
      .slice(0, options.top)
      .map(([lead, amount]) => (isWindowed(options) ? { lead, inWindow: round(amount) } : { lead }));
  }
  return out;
}

/** Adds `n` of `currency` to a split. */
function addTo(split: Split, currency: string, n: number) {
  split.count += n;
  split.by_currency[currency] = (split.by_currency[currency] ?? 0) + n;
}
// No prototype: a currency is MOCO's text too.
const split = (): Split => ({ count: 0, by_currency: Object.create(null) });

/** The counts over every currency (currencies in the order of `summaries`); money stays per currency. */
function allCurrencies(
  summaries: readonly CurrencySummary[],
  tallies: ReadonlyMap<string, Tally>,
  options: SummaryOptions,
): AllCurrencies {
  const all: AllCurrencies = { ...split(), by_status: {} };
  const statuses = new Map<string, Split>();
  const stages = new Map<string, { stage: string; probability: number } & Split>();
  const groups = new Map<string, Split & { members: Members }>();
  for (const c of summaries) {
    addTo(all, c.currency, c.count);
    for (const [status, s] of Object.entries(c.by_status)) {
      statuses.set(status, statuses.get(status) ?? split());
      addTo(statuses.get(status) as Split, c.currency, s.count);
    }
    for (const s of c.by_stage ?? []) {
      const stage = stages.get(s.stage) ?? { stage: s.stage, probability: s.probability, ...split() };
      addTo(stage, c.currency, s.count);
      stages.set(s.stage, stage);
    }
    for (const [key, g] of tallies.get(c.currency)?.groups ?? []) {
      const group = groups.get(key) ?? { ...split(), members: new Map() };
      addTo(group, c.currency, g.count);
      for (const [id, member] of g.members) group.members.set(id, member);
      groups.set(key, group);
    }
  }
  all.by_status = Object.fromEntries(
    statusOrder(statuses.keys()).flatMap((status) => {
      const s = statuses.get(status);
      return s ? [[status, s]] : [];
    }),
  );
  if (stages.size > 0) {
    all.by_stage = [...stages.values()]
      .sort((a, b) => stageOrder({ ...a, name: a.stage }, { ...b, name: b.stage }))
      .map(({ probability: _, ...s }) => s);
  }
  if (options.groupBy) {
    const list = [...groups].map(([key, { count, by_currency }]) => ({ key, count, by_currency }));
    const out = capped(
      list,
      (g) => g.count,
      options,
      (rest, key) => {
        const other = { key, ...split() };
        for (const g of rest) for (const [cur, n] of Object.entries(g.by_currency)) addTo(other, cur, n);
        return other;
      },
    );
    all.groups = remember(out, groups, options.groupBy, true);
  }
  return all;
}

export function summarize(leads: readonly Lead[], options: SummaryOptions) {
  const windowed = isWindowed(options);
  const spread = windowed || options.groupBy === "month";
  const inWindow = (month: string) =>
    (options.from === undefined || month >= options.from) &&
    (options.to === undefined || month <= options.to);
  const currencies = new Map<string, Tally>();
  let undated = 0;
  for (const lead of leads) {
    let shares = spread ? monthShares(lead, options.monthBasis) : [];
    if (windowed) {
      if (shares.length === 0) undated++;
      shares = shares.filter(([month]) => inWindow(month));
      if (shares.length === 0) continue;
    }
    const part = windowed ? shares.reduce((a, [, s]) => a + s, 0) : 1;
    tally(tallyOf(currencies, lead.currency), lead, lead.money * part, shares, options);
  }
  const summaries = [...currencies.values()].map((tally) => finish(tally, options));
  summaries.sort((a, b) => b.count - a.count || a.currency.localeCompare(b.currency));
  return { currencies: summaries, all_currencies: allCurrencies(summaries, currencies, options), undated };
}
