import { InputError } from "../errors.js";
import type { ScanResult } from "../moco/scan.js";
import { fullName, type Lead } from "../moco/schemas.js";
import { StoreUnavailableError } from "../store/types.js";
import { label, quoted } from "../text.js";
import type { LeadsContext } from "./context.js";
import { type LeadFilterArgs, mocoQueries } from "./filters.js";
import { dueWindow, predicate, pushedPredicate } from "./find.js";
import { diffLeads, type FieldChange, GRANULARITY_NOTE, type LeadChange } from "./history.js";
import type { LeadMirror, MirrorRead } from "./mirror/index.js";
import { money } from "./output.js";
import { type CurrencySummary, type SummaryOptions, summarize } from "./pipeline.js";
import { resolveFilter } from "./resolve.js";
import { bounded } from "./verify.js";

/**
 * Questions about change, answered from the lead mirror's history: what changed per lead since a
 * time, and the pipeline as it stood at the end of a past day (and how it moved since). MCP-free:
 * the tools lead_changes and pipeline_summary put these into their answers.
 */

const noStore = () =>
  new InputError(
    "The change history needs the lead store, which is off or unavailable here (MOCO_STORE=off, or the store could not be opened)",
    {},
    "Start the server without MOCO_STORE=off (the default keeps a file in the data directory); list_leads and pipeline_summary answer the present without it.",
  );

/** The mirror of the call's credentials, synced first when it is older than its freshness window. */
async function synced(ctx: LeadsContext): Promise<{ mirror: LeadMirror; read: MirrorRead }> {
  const mirror = await ctx.mirror();
  if (!mirror?.available) throw noStore();
  const read = await storeCall(() =>
    mirror.read({
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
    throw error instanceof StoreUnavailableError ? noStore() : error;
  }
}

/** list_leads' filters as one test per lead, names resolved exactly as list_leads resolves them. */
async function selection(filter: LeadFilterArgs, ctx: LeadsContext) {
  const { userId, stageId, echo } = await resolveFilter({ user: filter.user, stage: filter.stage }, ctx);
  await mocoQueries(filter, ctx); // refuses custom field names the account does not have, as list_leads does
  const pushed = pushedPredicate(filter);
  /** The test for a day counted as today (due windows are relative to it). */
  const on = (today: string) => {
    const window = filter.due ? dueWindow(filter.due, today) : undefined;
    const rest = predicate(filter, { userId, stageId, window });
    return (lead: Lead) => pushed(lead) && rest(lead);
  };
  return { on, echo };
}

// ---- field changes as text ----

const FIELD_NAMES: Record<string, string> = { category: "stage" };
const QUOTED = new Set(["name", "info"]);

type Ref = { name?: string; firstname?: string; lastname?: string; probability?: number };

function shown(field: string, value: unknown, currency: unknown): string {
  if (value === undefined) return "(not set)";
  if (value === null) return "none";
  if (field === "money" && typeof value === "number")
    return typeof currency === "string" ? money(value, currency) : String(value);
  if (field === "tags" && Array.isArray(value))
    return value.length > 0 ? value.map((t) => label(String(t))).join(", ") : "no tags";
  if (typeof value === "object" && !Array.isArray(value)) {
    const ref = value as Ref;
    if (field === "category") return `${label(ref.name ?? "?")} (${ref.probability ?? 0} %)`;
    if (field === "user") return label(fullName(ref));
    if (typeof ref.name === "string") return label(ref.name);
  }
  if (typeof value === "string") return QUOTED.has(field) ? quoted(value) : label(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return quoted(JSON.stringify(value));
}

/** "field: old → new" per change, money with its currency, stage and user by name, bounded. */
export function changeLines(changes: readonly FieldChange[], currentCurrency?: string): string[] {
  const currency = changes.find((c) => c.field === "currency");
  const company = changes.some((c) => c.field === "company");
  const lines = changes
    // MOCO's `customer` repeats `company`: one line for both.
    .filter((c) => !(c.field === "customer" && company))
    .map((c) => {
      const name = c.key !== undefined ? `custom field ${label(c.key)}` : (FIELD_NAMES[c.field] ?? c.field);
      const old = shown(c.field, c.old, currency ? currency.old : currentCurrency);
      const now = shown(c.field, c.new, currency ? currency.new : currentCurrency);
      return `${name}: ${old} → ${now}`;
    });
  return bounded(lines, "changes");
}

/** A lead in one phrase: status, value, stage, owner. */
const about = (l: Lead) =>
  [
    l.status,
    money(l.money, l.currency),
    l.category && `stage ${shown("category", l.category, undefined)}`,
    l.user && `user ${shown("user", l.user, undefined)}`,
  ]
    .filter(Boolean)
    .join(", ");

// ---- lead_changes ----

/** "1 lead", "2 leads": a count with its noun (plural by -s: lead, change, note). */
export const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

export interface ChangesArgs {
  since: string;
  until?: string;
  lead_id?: number;
  filter?: LeadFilterArgs;
  cursor?: string;
  limit: number;
}

export interface ChangeEntry {
  lead_id: number;
  name: string;
  seen_at: string;
  kind: LeadChange["kind"];
  origin: LeadChange["origin"];
  /** updated: "field: old → new". */
  changes?: string[];
  /** created: the new lead; deleted: as last seen. */
  lead?: string;
}

export async function leadChanges(args: ChangesArgs, ctx: LeadsContext) {
  const mirror = await ctx.mirror();
  if (!mirror?.available) throw noStore(); // before resolving names: those would be wasted requests
  const filter = args.filter && (await selection(args.filter, ctx));
  const { read } = await synced(ctx);
  const keep = filter?.on(ctx.today());
  const current = new Map(read.leads.map((l) => [l.id, l]));
  const page = await storeCall(() =>
    mirror.changes({
      since: args.since,
      until: args.until,
      leadId: args.lead_id,
      cursor: args.cursor,
      limit: args.limit,
      match: keep && ((_, lead) => lead !== undefined && keep(lead)),
    }),
  ).catch((error: unknown) => {
    if (error instanceof RangeError)
      throw new InputError("cursor: not one this tool gave", {}, "Pass next_cursor from the previous page.");
    throw error;
  });
  // The currency a money change is shown in: the lead's now, or as last seen for one deleted since.
  const currency = (id: number) =>
    current.get(id)?.currency ?? page.changes.find((c) => c.leadId === id && c.lead)?.lead?.currency;
  const changes: ChangeEntry[] = page.changes.map((c) => ({
    lead_id: c.leadId,
    name: c.name,
    seen_at: c.seenAt,
    kind: c.kind,
    origin: c.origin,
    ...(c.changes ? { changes: changeLines(c.changes, currency(c.leadId)) } : {}),
    ...(c.lead ? { lead: about(c.lead) } : {}),
  }));
  const leads = new Set(changes.map((c) => c.lead_id)).size;
  const span = `seen after ${args.since}${args.until ? ` up to ${args.until}` : ""}`;
  const start = page.historyStart ?? read.asOf;
  // Said before the count, which alone would read as "nothing happened" (the first sync is the
  // baseline: what happened before it, our own writes included, is in no change).
  const lines = [
    ...(page.beforeHistory
      ? [
          `History begins ${start}, after since; changes before ${start} are not known — including writes made before then, through this server or in MOCO.`,
        ]
      : []),
    `${count(changes.length, "change")} on ${count(leads, "lead")} ${span}${page.nextCursor ? " on this page; more: pass next_cursor" : ""}.`,
    ...(filter && filter.echo.length > 0 ? [`Understood: ${filter.echo.join("; ")}.`] : []),
    GRANULARITY_NOTE,
    page.beforeHistory
      ? `Up to date with MOCO as of ${read.asOf}.`
      : `History begins ${start}; up to date with MOCO as of ${read.asOf}.`,
  ];
  return {
    data: {
      changes,
      next_cursor: page.nextCursor,
      history_start: page.historyStart,
      as_of: page.asOf,
      before_history: page.beforeHistory,
    },
    summary: lines.join(" "),
  };
}

// ---- the pipeline at a past day ----

export interface PastOptions {
  /** YYYY-MM-DD: the pipeline as it stood at the end of that day (UTC). Default: now. */
  asOf?: string;
  /** YYYY-MM-DD: compare the weighted value with the end of that day. */
  compareTo?: string;
}

export interface Mover {
  id: number;
  name: string;
  was: number;
  now: number;
  why: string;
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

async function stateOn(mirror: LeadMirror, day: string, arg: string, today: string) {
  if (day > today) throw new InputError(`${arg}: ${day} is after today (${today})`, {}, "Give a past day.");
  const state = await storeCall(() => mirror.stateAt(endOfDay(day)));
  if (!state.ok) {
    const start = state.historyStart?.slice(0, 10);
    throw new InputError(
      `${arg}: nothing is known about ${day}; the lead history begins ${state.historyStart ?? "at the first sync"}`,
      start ? { [arg]: [start] } : {},
      start ? `Give ${start} or a later day.` : "Call again after the first sync.",
    );
  }
  return state.leads;
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
  if (!mirror?.available) throw noStore();
  const select = await selection(filter, ctx);
  const { read } = await synced(ctx);
  const today = ctx.today();
  const all = when.asOf ? await stateOn(mirror, when.asOf, "as_of", today) : read.leads;
  const leads = all.filter(select.on(when.asOf ?? today));
  let compared: Compared[] | undefined;
  if (when.compareTo) {
    const thenAll = await stateOn(mirror, when.compareTo, "compare_to", today);
    const then = thenAll.filter(select.on(when.compareTo));
    compared = compare(then, leads, { thenAll, nowAll: all }, options);
  }
  // A mirror short of MOCO's own count (its gap) is not complete, now or at any day rebuilt from it.
  const scan: ScanResult = {
    leads,
    scanned: all.length,
    total: read.gap ? null : all.length,
    complete: read.gap === undefined,
    pages: read.sync?.requests ?? 0,
    ...(read.gap ? { gap: read.gap } : {}),
  };
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

function reason(a: Lead | undefined, b: Lead | undefined, existed: boolean, exists: boolean): string {
  if (!a) return existed ? "now matches the filters" : "created";
  if (!b) return exists ? "no longer matches the filters" : "deleted";
  const changes = diffLeads(a, b)
    .filter((c) => WEIGHT_FIELDS.includes(c.field))
    .sort((p, q) => WEIGHT_FIELDS.indexOf(p.field) - WEIGHT_FIELDS.indexOf(q.field));
  return changeLines(changes).slice(0, 3).join("; ") || "changed";
}

/** The sentence that says what a past or compared summary is. */
export function pastNote(when: PastOptions, compared: Compared[] | undefined): string[] {
  const lines: string[] = [];
  if (when.asOf) lines.push(`As of the end of ${when.asOf} (UTC), rebuilt from the lead history.`);
  if (compared) {
    const against = when.asOf ? `the end of ${when.asOf}` : "now";
    const parts = compared.map((c) => {
      const movers = c.movers
        .map(
          (m) =>
            `lead ${m.id} ${quoted(m.name)} ${money(m.was, c.currency)} → ${money(m.now, c.currency)} (${m.why})`,
        )
        .join(", ");
      return `${c.currency} weighted ${money(c.was, c.currency)} → ${money(c.now, c.currency)}${movers ? `; moved most: ${movers}` : ""}`;
    });
    lines.push(
      `Compared with the end of ${when.compareTo} (UTC) against ${against}: ${parts.join(". ") || "no weighted value then or now"}.`,
    );
  }
  if (lines.length > 0) lines.push(GRANULARITY_NOTE);
  return lines;
}
