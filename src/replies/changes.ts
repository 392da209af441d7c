import type { ChangesArgs, leadChanges, Stamped } from "../leads/changes.js";
import { type ChangeAuthor, type FieldChange, GRANULARITY_NOTE, type LeadChange } from "../leads/history.js";
import { bounded } from "../leads/verify.js";
import { fullName, type Lead } from "../moco/schemas.js";
import { label, quoted } from "../text.js";
import { count, money } from "./lines.js";

/**
 * Changes as the model reads them: "field: old → new" per field (money with its currency, stage and
 * user by name), a lead in one phrase, and lead_changes' page with the sentences that say what it
 * covers and since when the history is known.
 */
// MOCO's `user` is the lead's owner; bare "user" would read as the person who made the change.
const FIELD_NAMES: Record<string, string> = { category: "stage", user: "owner" };
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
    l.user && `owner ${shown("user", l.user, undefined)}`,
  ]
    .filter(Boolean)
    .join(", ");

export interface ChangeEntry {
  lead_id: number;
  name: string;
  seen_at: string;
  kind: LeadChange["kind"];
  origin: LeadChange["origin"];
  /** Who made it: "Anna Schmid (from MOCO's webhook)", or the key's user for our own writes; null when unknown (MOCO's API records no author). */
  author: string | null;
  author_known: boolean;
  /** updated: "field: old → new". */
  changes?: string[];
  /** created: the new lead; deleted: as last seen. */
  lead?: string;
}

/** A lead MOCO's timestamps place since `since`: what they say, and that they say no more. */
export interface StampedEntry {
  lead_id: number;
  name: string;
  /** created, updated, and the status it closed as (won, lost, dropped), per MOCO's timestamps. */
  events: string[];
  status: string;
  created_at: string;
  updated_at: string;
  closed_on: string | null;
  source: typeof STAMPED_SOURCE;
  fields_known: false;
}

const STAMPED_SOURCE = "MOCO's timestamps, not history: fields unknown";
const NO_AUTHOR = 'MOCO does not record who made a change; "owner" is the lead\'s owner.';

type Found = Awaited<ReturnType<typeof leadChanges>>;

/**
 * "Anna Schmid (from MOCO's webhook)": the author a webhook named, by name when MOCO's users list has it;
 * "Anna Schmid (her MOCO key, through this server)" for our own writes: the user of the key they were made with.
 */
const authorName = (a: ChangeAuthor, origin: LeadChange["origin"]) =>
  `${a.name ? label(a.name) : `MOCO user ${a.id}`} (${origin === "own" ? "the user of the MOCO key this server wrote with" : "from MOCO's webhook"})`;

function entry({ change: c, currency }: Found["changes"][number]): ChangeEntry {
  return {
    lead_id: c.leadId,
    name: c.name,
    seen_at: c.seenAt,
    kind: c.kind,
    origin: c.origin,
    author: c.author && authorName(c.author, c.origin),
    author_known: c.author !== null,
    ...(c.changes ? { changes: changeLines(c.changes, currency) } : {}),
    ...(c.lead ? { lead: about(c.lead) } : {}),
  };
}

function stampedEntry({ lead, created, updated, closed }: Stamped): StampedEntry {
  return {
    lead_id: lead.id,
    name: lead.name,
    events: [created && "created", updated && "updated", closed].filter((e): e is string => Boolean(e)),
    status: lead.status,
    created_at: lead.created_at,
    updated_at: lead.updated_at,
    closed_on: lead.closed_on,
    source: STAMPED_SOURCE,
    fields_known: false,
  };
}

/** "as of 14:02:31 UTC, 3 s ago": how old the copy of MOCO is that the answer comes from. */
function copyAge(asOf: string, ageMs: number): string {
  const s = Math.max(0, Math.round(ageMs / 1000));
  const age = s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
  const at = s < 72_000 ? asOf.slice(11, 19) : `${asOf.slice(0, 10)} ${asOf.slice(11, 19)}`;
  return `as of ${at} UTC, ${age} ago`;
}

/** The sentence on the copy: its age, and whether it was synced for this answer. */
function copyNote(copy: Found["copy"]): string {
  const age = copyAge(copy.asOf, copy.ageMs);
  if (copy.syncRequests !== undefined)
    return `Copy of MOCO ${age} (synced for this answer, ${count(copy.syncRequests, "MOCO request")}).`;
  return `Copy of MOCO ${age}: edits made in MOCO since then are not in it (max_age_seconds 0 syncs first).`;
}

/** The leads MOCO's timestamps place since `since`, in one sentence: how many of each. */
function stampedNote(stamped: NonNullable<Found["stamped"]>, entries: StampedEntry[], since: string): string {
  const parts = ["created", "updated", "won", "lost", "dropped"]
    .filter((event) => stamped.counts.has(event))
    .map((event) => `${stamped.counts.get(event)} ${event}`)
    .join(", ");
  const more =
    stamped.total > entries.length ? ` (first ${entries.length} of ${stamped.total}, newest first)` : "";
  return (
    `From ${STAMPED_SOURCE} (in from_timestamps): ${count(stamped.total, "lead")} since ${since}` +
    `${parts ? ` — ${parts}` : ""}${more}.`
  );
}

/** lead_changes' reply: where history begins, each change as lines, the copy's age, what is not known. */
export function changesReply(args: Pick<ChangesArgs, "since" | "until">, found: Found) {
  const { page } = found;
  const changes = found.changes.map(entry);
  const stamped = found.stamped?.leads.map(stampedEntry);
  const leads = new Set(changes.map((c) => c.lead_id)).size;
  const span = `seen after ${args.since}${args.until ? ` up to ${args.until}` : ""}`;
  const start = page.historyStart ?? found.copy.asOf;
  // Said before the count, which alone would read as "nothing happened" (the first sync is the
  // baseline: what happened before it, our own writes included, is in no change).
  const lines = [
    ...(page.beforeHistory
      ? [
          `History begins ${start}, after since; changes before ${start} are not known field by field — including writes made before then, through this server or in MOCO.`,
        ]
      : []),
    ...(found.stamped && stamped ? [stampedNote(found.stamped, stamped, args.since)] : []),
    `${count(changes.length, "change")} on ${count(leads, "lead")} ${span} in the history${page.nextCursor ? " on this page; more: pass next_cursor" : ""}.`,
    ...(found.echo.length > 0 ? [`Understood: ${found.echo.join("; ")}.`] : []),
    ...(changes.some((c) => c.author_known)
      ? [
          "`author` names who made a change where MOCO's webhook said so, or, for a change made through this server, the user of the MOCO key it was made with (who asked for it, where each person signs in with their own key); for the others the author is unknown.",
        ]
      : []),
    GRANULARITY_NOTE,
    ...(changes.some((c) => !c.author_known) || stamped?.length ? [NO_AUTHOR] : []),
    copyNote(found.copy),
    ...(page.beforeHistory ? [] : [`History begins ${start}.`]),
  ];
  return {
    data: {
      changes,
      ...(stamped ? { from_timestamps: stamped } : {}),
      next_cursor: page.nextCursor,
      history_start: page.historyStart,
      as_of: page.asOf,
      before_history: page.beforeHistory,
    },
    summary: lines.join(" "),
  };
}
