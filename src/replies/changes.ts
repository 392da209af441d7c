import type { ChangesArgs, leadChanges } from "../leads/changes.js";
import { type FieldChange, GRANULARITY_NOTE, type LeadChange } from "../leads/history.js";
import { bounded } from "../leads/verify.js";
import { fullName, type Lead } from "../moco/schemas.js";
import { label, quoted } from "../text.js";
import { count, money } from "./lines.js";

/**
 * Changes as the model reads them: "field: old → new" per field (money with its currency, stage and
 * user by name), a lead in one phrase, and lead_changes' page with the sentences that say what it
 * covers and since when the history is known.
 */
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
  /** Who made it, where MOCO's webhook said so. */
  by?: string;
}

/** "Anna Schmid (from MOCO's webhook)": the author a webhook named, by name when MOCO's users list has it. */
const byOf = (author: LeadChange["author"]) =>
  author && `${author.name ? label(author.name) : `user ${author.id}`} (from MOCO's webhook)`;

type Found = Awaited<ReturnType<typeof leadChanges>>;

/** lead_changes' reply: each change as lines, then what the page covers and since when. */
export function changesReply(args: Pick<ChangesArgs, "since" | "until">, found: Found) {
  const { page, syncedAt } = found;
  const changes: ChangeEntry[] = found.changes.map(({ change: c, currency }) => ({
    lead_id: c.leadId,
    name: c.name,
    seen_at: c.seenAt,
    kind: c.kind,
    origin: c.origin,
    ...(c.changes ? { changes: changeLines(c.changes, currency) } : {}),
    ...(c.lead ? { lead: about(c.lead) } : {}),
    ...(c.author ? { by: byOf(c.author) } : {}),
  }));
  const leads = new Set(changes.map((c) => c.lead_id)).size;
  const span = `seen after ${args.since}${args.until ? ` up to ${args.until}` : ""}`;
  const start = page.historyStart ?? syncedAt;
  // Said before the count, which alone would read as "nothing happened" (the first sync is the
  // baseline: what happened before it, our own writes included, is in no change).
  const lines = [
    ...(page.beforeHistory
      ? [
          `History begins ${start}, after since; changes before ${start} are not known — including writes made before then, through this server or in MOCO.`,
        ]
      : []),
    `${count(changes.length, "change")} on ${count(leads, "lead")} ${span}${page.nextCursor ? " on this page; more: pass next_cursor" : ""}.`,
    ...(found.echo.length > 0 ? [`Understood: ${found.echo.join("; ")}.`] : []),
    ...(changes.some((c) => c.by)
      ? ["`by` names who made a change where MOCO's webhook said so; for the others the author is unknown."]
      : []),
    GRANULARITY_NOTE,
    page.beforeHistory
      ? `Up to date with MOCO as of ${syncedAt}.`
      : `History begins ${start}; up to date with MOCO as of ${syncedAt}.`,
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
