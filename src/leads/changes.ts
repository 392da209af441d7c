import { InputError } from "../errors.js";
import type { Lead } from "../moco/schemas.js";
import { StoreUnavailableError } from "../store/types.js";
import type { LeadsContext } from "./context.js";
import { checkCustom, type LeadFilterArgs } from "./filters.js";
import { dueWindow, predicate, pushedPredicate, scanOfMirror } from "./find.js";
import { diffLeads, type FieldChange, toInstant } from "./history.js";
import type { LeadMirror, MirrorRead } from "./mirror/index.js";
import { type CurrencySummary, type SummaryOptions, summarize } from "./pipeline.js";
import { resolveFilter } from "./resolve.js";

/**
 * Questions about change, answered from the lead mirror's history: what changed per lead since a
 * time, and the pipeline as it stood at the end of a past day (and how it moved since). Values only:
 * replies/changes.ts and replies/past.ts put them into the answers of lead_changes and pipeline_summary.
 */

/**
 * Why there is no history: the store is off (no mirror), or it is configured and cannot be used;
 * `problem` is then the store's own sentence: where it is (never a password) and why it failed.
 */
const noStore = (problem?: string) =>
  problem === undefined
    ? new InputError(
        "The change history needs the lead store, which is off here (MOCO_STORE=off) or could not be set up (the server's log says why)",
        {},
        "Start the server without MOCO_STORE=off (the default keeps a file in the data directory); list_leads and pipeline_summary answer the present without it.",
      )
    : new InputError(
        `The change history needs the lead store, ${problem.startsWith("the lead store") ? `and ${problem}` : `which is unavailable: ${problem}`}`,
        {},
        "Make the store usable (for PostgreSQL: the database running and reachable, and MOCO_STORE naming it with the right user and database; the server uses it again within seconds of it answering, a SQLite file after a restart); list_leads and pipeline_summary answer the present without it.",
      );

/** The error for a mirror that cannot answer: its store's problem, or the store is off. */
const unavailable = (mirror: LeadMirror | undefined) =>
  noStore(mirror ? (mirror.status().problem ?? "the store is unavailable") : undefined);

/**
 * The mirror of the call's credentials, synced first when it is older than its freshness window, or
 * than `maxAgeMs` when that is shorter.
 */
async function synced(
  ctx: LeadsContext,
  maxAgeMs?: number,
): Promise<{ mirror: LeadMirror; read: MirrorRead }> {
  const mirror = await ctx.mirror();
  if (!mirror?.available) throw unavailable(mirror);
  const read = await storeCall(() =>
    mirror.read({
      maxAgeMs: maxAgeMs === undefined ? undefined : Math.min(maxAgeMs, mirror.freshMs),
      signal: ctx.call.signal,
      onProgress: (done, total, message) => void ctx.progress(done, total, message).catch(() => {}),
    }),
  );
  return { mirror, read };
}

async function storeCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof StoreUnavailableError ? noStore(error.message) : error;
  }
}

/** list_leads' filters as one test per lead, names resolved exactly as list_leads resolves them. */
async function selection(asked: LeadFilterArgs, ctx: LeadsContext) {
  const { userId, stageId, echo } = await resolveFilter({ user: asked.user, stage: asked.stage }, ctx);
  // As list_leads: unknown custom field names and option values are refused, and an option value is
  // matched in the account's own spelling ("website" → "Website"), so the mirror's test finds it.
  const filter = (await checkCustom(asked, ctx)).args;
  const pushed = pushedPredicate(filter);
  /** The test for a day counted as today (due windows are relative to it). */
  const on = (today: string) => {
    const window = filter.due ? dueWindow(filter.due, today) : undefined;
    const rest = predicate(filter, { userId, stageId, window });
    return (lead: Lead) => pushed(lead) && rest(lead);
  };
  return { on, echo };
}

// ---- lead_changes ----

export interface ChangesArgs {
  since: string;
  until?: string;
  lead_id?: number;
  filter?: LeadFilterArgs;
  cursor?: string;
  limit: number;
  /** Sync first when the copy is older than this (default CHANGES_MAX_AGE_S). */
  max_age_seconds?: number;
}

/**
 * How old a copy lead_changes answers from may be: "what changed?" is asked right after an edit in
 * MOCO, and a delta sync costs about two requests, so the mirror's 30 s window is too wide here.
 */
export const CHANGES_MAX_AGE_S = 5;

/**
 * One page of the changes the mirror saw, as values: each change with the currency its money is
 * shown in (the lead's now, or as last seen for one deleted since), and how the filter was understood.
 */
export async function leadChanges(args: ChangesArgs, ctx: LeadsContext) {
  const mirror = await ctx.mirror();
  if (!mirror?.available) throw unavailable(mirror); // before resolving names: those would be wasted requests
  const filter = args.filter && (await selection(args.filter, ctx));
  const { read } = await synced(ctx, (args.max_age_seconds ?? CHANGES_MAX_AGE_S) * 1000);
  const keep = filter?.on(ctx.today());
  const current = new Map(read.leads.map((l) => [l.id, l]));
  // A lead the changes moved out of the filter (reassigned to another owner, say) matched it before
  // them: a lead matches if it matches now or as it stood at since.
  const before = keep && (await storeCall(() => mirror.stateAt(toInstant(args.since))));
  const matchedBefore = new Set(keep && before?.ok ? before.leads.filter(keep).map((l) => l.id) : []);
  const echo = [...(filter?.echo ?? [])];
  if (filter) {
    echo.push(
      before?.ok
        ? "filter: leads that match it now or matched it at since (so a lead moved out of it, e.g. to another owner, is included)"
        : "filter: the leads as they are now (the history does not reach since), so changes of leads that no longer match, e.g. moved to another owner, are not shown",
    );
  }
  const page = await storeCall(() =>
    mirror.changes({
      since: args.since,
      until: args.until,
      leadId: args.lead_id,
      cursor: args.cursor,
      limit: args.limit,
      match:
        keep && ((change, lead) => (lead !== undefined && keep(lead)) || matchedBefore.has(change.leadId)),
    }),
  ).catch((error: unknown) => {
    if (error instanceof RangeError)
      throw new InputError("cursor: not one this tool gave", {}, "Pass next_cursor from the previous page.");
    throw error;
  });
  const currencyOf = (id: number) =>
    current.get(id)?.currency ?? page.changes.find((c) => c.leadId === id && c.lead)?.lead?.currency;
  const changes = page.changes.map((change) => ({ change, currency: currencyOf(change.leadId) }));
  // Before history, MOCO's own timestamps still tell which leads moved (once, on the first page).
  const stamped =
    page.beforeHistory && args.cursor === undefined
      ? stampedSince(
          read.leads.filter(
            (l) => (args.lead_id === undefined || l.id === args.lead_id) && (keep?.(l) ?? true),
          ),
          args,
        )
      : undefined;
  const copy = { asOf: read.asOf, ageMs: read.ageMs, syncRequests: read.sync?.requests };
  return { page, changes, stamped, echo, copy };
}

/**
 * What MOCO's own timestamps say about a lead since a time, where the history cannot: that it was
 * created, last updated (MOCO keeps only the latest update, and no fields), or closed (closed_on is a
 * day, with the status it closed as).
 */
export interface Stamped {
  lead: Lead;
  created: boolean;
  /** Updated after its creation, at or after since (its latest update only). */
  updated: boolean;
  /** won, lost or dropped with closed_on on or after since's day. */
  closed: string | undefined;
}

const CLOSED = new Set(["won", "lost", "dropped"]);

/**
 * The leads MOCO's timestamps place at or after `since` (and up to `until`), newest update first, the
 * first `limit` of `total`; `counts` per event (created, updated, won, …) over all of them.
 */
export function stampedSince(
  leads: readonly Lead[],
  range: { since: string; until?: string; limit: number },
): { leads: Stamped[]; total: number; counts: Map<string, number> } {
  // MOCO's timestamps are whole seconds: compare at that resolution, or a lead created in the same
  // second as a `since` with milliseconds (one taken from an earlier answer) would be missed.
  const from = Math.floor(Date.parse(toInstant(range.since)) / 1000) * 1000;
  const to = range.until === undefined ? Number.POSITIVE_INFINITY : Date.parse(toInstant(range.until));
  const fromDay = toInstant(range.since).slice(0, 10);
  const toDay = range.until === undefined ? "9999-12-31" : toInstant(range.until).slice(0, 10);
  const within = (stamp: string) => {
    const ms = Date.parse(stamp);
    return ms >= from && ms <= to;
  };
  const found: Stamped[] = [];
  for (const lead of leads) {
    const created = within(lead.created_at);
    const updated =
      within(lead.updated_at) && Date.parse(lead.updated_at) - Date.parse(lead.created_at) >= 1000;
    const day = lead.closed_on;
    const closed = day && CLOSED.has(lead.status) && day >= fromDay && day <= toDay ? lead.status : undefined;
    if (created || updated || closed) found.push({ lead, created, updated, closed });
  }
  found.sort(
    (a, b) => Date.parse(b.lead.updated_at) - Date.parse(a.lead.updated_at) || a.lead.id - b.lead.id,
  );
  const counts = new Map<string, number>();
  const add = (event: string) => counts.set(event, (counts.get(event) ?? 0) + 1);
  for (const { created, updated, closed } of found) {
    if (created) add("created");
    if (updated) add("updated");
    if (closed) add(closed);
  }
  return { leads: found.slice(0, range.limit), total: found.length, counts };
}

// ---- the pipeline at a past day ----

export interface PastOptions {
  /** YYYY-MM-DD: the pipeline as it stood at the end of that day (UTC). Default: now. */
  asOf?: string;
  /** YYYY-MM-DD: compare the weighted value with the end of that day. */
  compareTo?: string;
}

/** Why a lead moved a weighted value: it came or went (created, deleted, into or out of the filters), or changed. */
export type MoveReason =
  | { kind: "created" | "deleted" | "joined" | "left" }
  | { kind: "changed"; changes: FieldChange[] };

export interface Mover {
  id: number;
  name: string;
  was: number;
  now: number;
  why: MoveReason;
}

export interface Compared {
  currency: string;
  was: number;
  now: number;
  movers: Mover[];
}

const endOfDay = (day: string) => `${day}T23:59:59.999Z`;
const round = (n: number) => Math.round(n * 100) / 100;
const MOVERS = 5;

const dayBefore = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/**
 * What to give instead of a day history cannot answer for `arg`: the earliest day it can, when there
 * is one before `reference` (the day compared against, or today); else that no past day can be shown
 * yet, and what can: the present, and lead_changes' view of MOCO's timestamps. Never a day that would
 * compare the pipeline with itself.
 */
function instead(arg: string, day: string, historyStart: string | null, reference: string, today: string) {
  const earliest = historyStart?.slice(0, 10);
  const last = arg === "compare_to" ? dayBefore(reference) : reference;
  if (earliest && earliest <= last && !(arg === "as_of" && earliest === reference))
    return { fields: { [arg]: [earliest] }, hint: `Give a day from ${earliest} to ${last}.` };
  const stamps = `lead_changes with since ${day} lists the leads MOCO's timestamps show as created, updated, won or lost since then (fields unknown)`;
  if (arg === "as_of")
    return {
      fields: {},
      hint: `No past day can be shown yet: the history began today. pipeline_summary without as_of gives the present; ${stamps}.`,
    };
  const none =
    reference === today
      ? `No comparison is possible yet: the history knows no day before today.${earliest === today ? ` From tomorrow on, compare_to ${today} works.` : ""}`
      : `No comparison is possible: the history knows no day before ${reference}.`;
  return { fields: {}, hint: `${none} Instead: ${stamps}.` };
}

async function stateOn(
  mirror: LeadMirror,
  day: string,
  arg: string,
  days: { reference: string; today: string },
) {
  const state = await storeCall(() => mirror.stateAt(endOfDay(day)));
  if (!state.ok) {
    const { fields, hint } = instead(arg, day, state.historyStart, days.reference, days.today);
    throw new InputError(
      `${arg}: nothing is known about ${day}; the lead history begins ${state.historyStart ?? "at the first sync"}`,
      fields,
      hint,
    );
  }
  return state.leads;
}

/** Refuses a day after today, and a compare_to not before the day it is compared against. */
function checkDays(when: PastOptions, today: string, historyStart: string | null) {
  for (const [arg, day] of [
    ["as_of", when.asOf],
    ["compare_to", when.compareTo],
  ] as const) {
    if (day !== undefined && day > today)
      throw new InputError(`${arg}: ${day} is after today (${today})`, {}, "Give a past day.");
  }
  const reference = when.asOf ?? today;
  if (when.compareTo === undefined || when.compareTo < reference) return;
  const against = when.asOf ? `as_of (${reference})` : `today (${today})`;
  const { fields, hint } = instead("compare_to", when.compareTo, historyStart, reference, today);
  throw new InputError(
    when.compareTo === reference
      ? `compare_to: ${when.compareTo} is ${against}: that compares the pipeline with itself`
      : `compare_to: ${when.compareTo} is after ${against}; compare_to is the earlier day`,
    fields,
    hint,
  );
}

/**
 * The pipeline at the end of `asOf` (or now), with the same filters and arithmetic as the present
 * one, and optionally the weighted value per currency then (`compareTo`) against it, with the leads
 * that moved it most.
 */
export async function pastPipeline(
  filter: LeadFilterArgs,
  options: SummaryOptions,
  when: PastOptions,
  ctx: LeadsContext,
) {
  const mirror = await ctx.mirror();
  if (!mirror?.available) throw unavailable(mirror);
  const select = await selection(filter, ctx);
  const { read } = await synced(ctx);
  const today = ctx.today();
  checkDays(when, today, mirror.status().historyStart);
  const reference = when.asOf ?? today;
  const all = when.asOf ? await stateOn(mirror, when.asOf, "as_of", { reference: today, today }) : read.leads;
  const leads = all.filter(select.on(reference));
  let compared: Compared[] | undefined;
  if (when.compareTo) {
    const thenAll = await stateOn(mirror, when.compareTo, "compare_to", { reference, today });
    const then = thenAll.filter(select.on(when.compareTo));
    compared = compare(then, leads, { thenAll, nowAll: all }, options);
  }
  // A mirror short of MOCO's own count (its gap) is not complete, now or at any day rebuilt from it.
  const scan = scanOfMirror(read, leads, all.length);
  return { leads, scan, compared, echo: select.echo, asOf: read.asOf };
}

const sumsOptions = (options: SummaryOptions): SummaryOptions => ({ ...options, groupBy: undefined, top: 0 });
const weightedBy = (cs: CurrencySummary[]) => new Map(cs.map((c) => [c.currency, c.weighted]));

function compare(
  then: readonly Lead[],
  now: readonly Lead[],
  all: { thenAll: readonly Lead[]; nowAll: readonly Lead[] },
  options: SummaryOptions,
): Compared[] {
  const plain = sumsOptions(options);
  // One lead summarised alone: its share of the weighted value, by the very rule of the summary.
  const share = (lead: Lead | undefined) =>
    lead ? (summarize([lead], plain).currencies[0]?.weighted ?? 0) : 0;
  const before = new Map(then.map((l) => [l.id, l]));
  const after = new Map(now.map((l) => [l.id, l]));
  const existed = new Set(all.thenAll.map((l) => l.id));
  const exists = new Set(all.nowAll.map((l) => l.id));
  const moves = new Map<string, Mover[]>();
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(id);
    const b = after.get(id);
    if (a === b) continue; // the same object in both states: unchanged
    for (const currency of new Set([a?.currency, b?.currency])) {
      if (currency === undefined) continue;
      const x = a?.currency === currency ? share(a) : 0;
      const y = b?.currency === currency ? share(b) : 0;
      if (Math.abs(y - x) < 0.005) continue;
      const why = reason(a, b, existed.has(id), exists.has(id));
      const list = moves.get(currency) ?? [];
      list.push({ id, name: (b ?? a)?.name ?? "", was: round(x), now: round(y), why });
      moves.set(currency, list);
    }
  }
  const wThen = weightedBy(summarize(then, plain).currencies);
  const wNow = weightedBy(summarize(now, plain).currencies);
  const currencies = [...new Set([...wNow.keys(), ...wThen.keys(), ...moves.keys()])];
  return currencies.map((currency) => ({
    currency,
    was: wThen.get(currency) ?? 0,
    now: wNow.get(currency) ?? 0,
    movers: (moves.get(currency) ?? [])
      .sort((p, q) => Math.abs(q.now - q.was) - Math.abs(p.now - p.was) || p.id - q.id)
      .slice(0, MOVERS),
  }));
}

/** The fields that move a weighted value, in the order they explain it. */
const WEIGHT_FIELDS = [
  "status",
  "category",
  "money",
  "currency",
  "reminder_date",
  "closed_on",
  "service_period_from",
  "service_period_to",
];

function reason(a: Lead | undefined, b: Lead | undefined, existed: boolean, exists: boolean): MoveReason {
  if (!a) return { kind: existed ? "joined" : "created" };
  if (!b) return { kind: exists ? "left" : "deleted" };
  const changes = diffLeads(a, b)
    .filter((c) => WEIGHT_FIELDS.includes(c.field))
    .sort((p, q) => WEIGHT_FIELDS.indexOf(p.field) - WEIGHT_FIELDS.indexOf(q.field));
  return { kind: "changed", changes };
}
