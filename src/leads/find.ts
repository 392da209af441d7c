import type { ScanResult } from "../moco/scan.js";
import { scanLeads } from "../moco/scan.js";
import type { Lead } from "../moco/schemas.js";
import { StoreUnavailableError } from "../store/types.js";
import { foldLoose } from "../text.js";
import type { LeadsContext } from "./context.js";
import { addDays, daysBetween, lastDayOfMonth, localDay, weekOf } from "./dates.js";
import { checkCustom, type LeadFilterArgs, queriesOf, type Range, type SORTS } from "./filters.js";
import type { MirrorRead } from "./mirror/index.js";
import { closeCustomValues, unknownTags, unsetCounts } from "./nothing-found.js";
import { resolveFilter } from "./resolve.js";

/**
 * Selecting leads with the whole filter language: names resolved first (a name that matches nothing
 * or several records fails before any lead is read), MOCO's own filters sent to MOCO, every matching
 * page read, the rest applied here, then sorted. The result says what was read and what matched.
 */
export type Sort = (typeof SORTS)[number];

export interface Selection extends LeadFilterArgs {
  sort?: Sort;
  order?: "asc" | "desc";
}

export interface Found {
  /** The matches, in order. */
  leads: Lead[];
  scan: ScanResult;
  /** How names and windows were understood, e.g. "user = Anna Schmid (id 5)". */
  echo: string[];
  /** The day counted as today (follow-ups, created and reminder windows). */
  today: string;
  /**
   * With `due` or `reminder`: the open leads the same filters select outside that window (counted
   * by the reply, so that "0 overdue this week" is not read as "nothing overdue").
   */
  outside?: Lead[];
  /** The reminder window of `due`, when asked. */
  window?: { from?: string; to?: string };
  /**
   * With a query: where its words stand in the leads that do not have them all in their name
   * ("description", "company, person"), by lead id. Those come after the name matches unless sorted.
   */
  matched?: Map<number, string>;
  /** Set when the leads came from the lead mirror: when it last agreed with MOCO (ISO). */
  asOf?: string;
}

/** The reminder window a `due` value names, relative to `today`. */
export function dueWindow(
  due: NonNullable<LeadFilterArgs["due"]>,
  today: string,
): { from?: string; to?: string } {
  const week = weekOf(today);
  switch (due) {
    case "overdue":
      return { to: addDays(today, -1) };
    case "today":
      return { from: today, to: today };
    case "this_week":
      return { from: week.monday, to: week.sunday };
    case "next_week":
      return { from: addDays(week.monday, 7), to: addDays(week.sunday, 7) };
    case "this_month":
      return { from: `${today.slice(0, 7)}-01`, to: `${today.slice(0, 7)}-${lastDayOfMonth(today)}` };
  }
}

const OPEN = new Set(["pending", "potential"]);

/** Days from `today` to the lead's reminder (negative when overdue); only for open leads. */
export const dueInDays = (lead: Lead, today: string) =>
  OPEN.has(lead.status) && lead.reminder_date ? daysBetween(today, lead.reminder_date) : undefined;

export async function findLeads(selection: Selection, ctx: LeadsContext): Promise<Found> {
  const today = ctx.today();
  const { userId, stageId, echo } = await resolveFilter(
    { user: selection.user, stage: selection.stage },
    ctx,
  );
  const custom = await checkCustom(selection, ctx);
  const args: Selection = { ...selection, ...custom.args };
  const mirrored = await fromMirror(args, ctx);
  const scan =
    mirrored?.scan ??
    (await scanLeads(ctx.moco, queriesOf(args), {
      ...ctx.call,
      maxPages: ctx.maxScanPages,
      onPage: (pages, expected, scanned) => ctx.progress(pages, expected, `Read ${scanned} leads`),
    }));
  const window = args.due ? dueWindow(args.due, today) : undefined;
  echo.push(...custom.echo, ...unsetCounts(args, mirrored?.all), ...echoOf(args, today, window));
  const keep = predicate(args, { userId, stageId, window });
  const leads = scan.leads.filter(keep);
  const outside =
    window || args.reminder
      ? scan.leads.filter(
          (l) =>
            OPEN.has(l.status) &&
            l.reminder_date !== null &&
            !keep(l) &&
            predicate({ ...args, reminder: undefined }, { userId, stageId })(l),
        )
      : undefined;
  const sort = args.sort ?? (args.due ? "reminder_date" : undefined);
  if (sort) leads.sort(comparator(sort, args.order));
  const matched = args.query ? whereMatched(leads, args.query) : undefined;
  // Leads named by the words first; within each group, the order asked for (or MOCO's).
  if (matched && !sort) leads.sort((a, b) => Number(matched.has(a.id)) - Number(matched.has(b.id)));
  const empty =
    leads.length === 0 && scan.complete
      ? [
          await unknownTags(args, scan, mirrored?.all, ctx),
          await closeCustomValues(args, custom.freeText, mirrored?.all, ctx),
        ]
          .filter(Boolean)
          .join(" ") || undefined
      : undefined;
  return {
    leads,
    scan: empty ? { ...scan, empty } : scan,
    echo,
    today,
    ...(window ? { window } : {}),
    ...(matched ? { matched } : {}),
    ...(outside ? { outside } : {}),
    ...(mirrored ? { asOf: mirrored.asOf } : {}),
  };
}

/** How the filters were understood, beyond names: which statuses, company or person, the window. */
function echoOf(args: Selection, today: string, window?: { from?: string; to?: string }): string[] {
  const echo: string[] = [];
  for (const [key, what] of [
    ["has_company", "company"],
    ["has_person", "contact person"],
  ] as const) {
    if (args[key] !== undefined) echo.push(`${args[key] ? "with" : "without"} a ${what}`);
  }
  if (args.status === "open") echo.push("status open = pending + potential (not won, lost, dropped)");
  else if (args.status === undefined && args.due !== undefined) {
    echo.push("follow-ups of open leads only (pending + potential)");
  }
  if (args.due && window) {
    echo.push(`due ${args.due} = ${window.from ?? "…"} to ${window.to ?? "…"} (today ${today})`);
  }
  return echo;
}

/**
 * The leads MOCO's own filters would select, from the lead mirror (complete at any account size,
 * synced first when older than its freshness window); undefined when there is no usable mirror, and
 * the caller reads MOCO live as before. A mirror whose latest sync could not agree with MOCO's count
 * is not complete, and says by how much (its gap).
 */
async function fromMirror(
  args: Selection,
  ctx: LeadsContext,
): Promise<{ scan: ScanResult; asOf: string; all: readonly Lead[] } | undefined> {
  const mirror = await ctx.mirror();
  if (!mirror?.available) return undefined;
  try {
    const read = await mirror.read({
      signal: ctx.call.signal,
      onProgress: (done, total, message) => void ctx.progress(done, total, message).catch(() => {}),
    });
    const scan = scanOfMirror(read, read.leads.filter(pushedPredicate(args)));
    return { scan, asOf: read.asOf, all: read.leads };
  } catch (error) {
    if (error instanceof StoreUnavailableError) return undefined;
    throw error;
  }
}

/**
 * A mirror read as a scan: `scanned` leads read from it (default: the `leads` kept), complete unless
 * its latest sync could not agree with MOCO's count; with such a gap, how many of MOCO's leads the
 * selection holds is unknown. The one conversion of a mirror read, for every reader of the mirror.
 */
export function scanOfMirror(
  read: Pick<MirrorRead, "gap" | "sync">,
  leads: Lead[],
  scanned = leads.length,
): ScanResult {
  return {
    leads,
    scanned,
    total: read.gap ? null : scanned,
    complete: read.gap === undefined,
    pages: read.sync?.requests ?? 0,
    ...(read.gap ? { gap: read.gap } : {}),
  };
}

/** MOCO's own filters, applied here to the mirror as MOCO applies them to its list. */
export function pushedPredicate(args: Selection): (lead: Lead) => boolean {
  const statuses =
    args.status === "open" || (args.status === undefined && args.due !== undefined)
      ? new Set(["pending", "potential"])
      : args.status === undefined
        ? undefined
        : new Set([args.status]);
  const ids = args.ids && new Set(args.ids);
  // MOCO matches tag names whatever their case.
  const tags = args.tags && new Set(args.tags.map((t) => t.toLowerCase()));
  const after = args.updated_after === undefined ? undefined : Date.parse(args.updated_after);
  const props = Object.entries(args.custom_properties ?? {});
  return (l) =>
    (statuses === undefined || statuses.has(l.status)) &&
    (tags === undefined || l.tags.some((t) => tags.has(t.toLowerCase()))) &&
    (args.company_id === undefined || l.company?.id === args.company_id) &&
    (args.closed === undefined || within(l.closed_on, args.closed.from, args.closed.to)) &&
    (ids === undefined || ids.has(l.id)) &&
    (after === undefined || Date.parse(l.updated_at) > after) &&
    props.every(([name, want]) => customMatches(l.custom_properties[name], want));
}

/** A custom field filter: text as is, yes/no as MOCO stores it ("1"/"0"), a list: every item present. */
function customMatches(have: unknown, want: unknown): boolean {
  if (typeof want === "boolean") return have === want || have === (want ? "1" : "0");
  if (Array.isArray(want)) return Array.isArray(have) && want.every((w) => have.includes(w));
  return have === want || (Array.isArray(have) && have.includes(want));
}

/**
 * A lead's searched text, folded once per lead object: a mirror's leads are kept objects (a change of
 * a lead is a new object, never an edit of the kept one), so a query over 20,000 of them does not fold
 * every text again on every call.
 */
const folded = new WeakMap<Lead, string>();
function haystack(l: Lead): string {
  let text = folded.get(l);
  if (text === undefined) {
    text = foldLoose([l.name, l.company?.name, l.person?.name, l.info].join(" "));
    folded.set(l, text);
  }
  return text;
}
const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * Whether `word` (folded) begins a word of `text` (folded): "ag" finds "Beispiel AG", not
 * "Rahmenvertrag"; "müller" finds "Mueller-Lüdenscheidt"; "gmbh" and "#4711" still match where they stand.
 */
function startsWord(text: string, word: string): boolean {
  if (word === "") return true;
  for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
    if (at === 0 || !WORD_CHAR.test(text[at - 1] as string) || !WORD_CHAR.test(word[0] as string))
      return true;
  }
  return false;
}
const within = (value: string | null, from?: string, to?: string) =>
  value !== null && (from === undefined || value >= from) && (to === undefined || value <= to);

/** Everything MOCO cannot filter by, as one test per lead. */
export function predicate(
  args: Selection,
  refs: { userId?: number; stageId?: number; window?: { from?: string; to?: string } },
): (lead: Lead) => boolean {
  const words = args.query ? foldLoose(args.query).split(/\s+/) : [];
  const before = args.updated_before === undefined ? undefined : Date.parse(args.updated_before);
  const { window } = refs;
  const inRange = (value: string | null, r: Range | undefined) =>
    r === undefined || within(value, r.from, r.to);
  return (l) =>
    (refs.userId === undefined || l.user?.id === refs.userId) &&
    (refs.stageId === undefined || l.category?.id === refs.stageId) &&
    (args.has_company === undefined || (l.company !== null) === args.has_company) &&
    (args.has_person === undefined || (l.person !== null) === args.has_person) &&
    (args.currency === undefined || l.currency === args.currency) &&
    (args.money_min === undefined || l.money >= args.money_min) &&
    (args.money_max === undefined || l.money <= args.money_max) &&
    inRange(l.reminder_date, args.reminder) &&
    (window === undefined || (OPEN.has(l.status) && within(l.reminder_date, window.from, window.to))) &&
    (args.created === undefined || inRange(localDay(l.created_at), args.created)) &&
    (before === undefined || Date.parse(l.updated_at) < before) &&
    (args.service === undefined || overlaps(l, args.service.from, args.service.to)) &&
    (words.length === 0 || matchesWords(haystack(l), words));
}

const matchesWords = (text: string, words: readonly string[]) => words.every((w) => startsWord(text, w));

const SEARCHED: readonly (readonly [string, (l: Lead) => string | null | undefined])[] = [
  ["name", (l) => l.name],
  ["company", (l) => l.company?.name],
  ["person", (l) => l.person?.name],
  ["description", (l) => l.info],
];

/**
 * Where a query's words stand, for each lead that does not have them all in its name: the fields
 * holding any of them, e.g. "description" or "name, description" ("Website V2": "v2" is in the info).
 */
export function whereMatched(leads: readonly Lead[], query: string): Map<number, string> {
  const words = foldLoose(query).split(/\s+/);
  const out = new Map<number, string>();
  for (const l of leads) {
    const texts = SEARCHED.map(([field, get]) => [field, foldLoose(get(l) ?? "")] as const);
    if (matchesWords(texts[0]?.[1] ?? "", words)) continue;
    const where = texts.filter(([, t]) => words.some((w) => startsWord(t, w))).map(([field]) => field);
    out.set(l.id, where.join(", "));
  }
  return out;
}

/** Whether the lead's service period overlaps [from, to] (either end may be open). */
function overlaps(l: Lead, from?: string, to?: string): boolean {
  const start = l.service_period_from ?? l.service_period_to;
  const end = l.service_period_to ?? l.service_period_from;
  if (!start || !end) return false;
  return (to === undefined || start <= to) && (from === undefined || end >= from);
}

const KEYS: Record<Sort, (l: Lead) => string | number | null> = {
  updated_at: (l) => Date.parse(l.updated_at),
  created_at: (l) => Date.parse(l.created_at),
  reminder_date: (l) => l.reminder_date,
  closed_on: (l) => l.closed_on,
  money: (l) => l.money,
  name: (l) => foldLoose(l.name),
};

/** Order by `sort` (missing values last, whatever the direction), then by id. */
export function comparator(sort: Sort, order?: "asc" | "desc") {
  const dir = (order ?? (sort === "reminder_date" || sort === "name" ? "asc" : "desc")) === "asc" ? 1 : -1;
  const key = KEYS[sort];
  return (a: Lead, b: Lead) => {
    const x = key(a);
    const y = key(b);
    if (x === null || y === null) return x === y ? a.id - b.id : x === null ? 1 : -1;
    return (x < y ? -dir : x > y ? dir : 0) || a.id - b.id;
  };
}
