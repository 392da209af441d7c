import type { Lead } from "../moco/schemas.js";
import type { ChangeKind, ChangeOrigin, ChangeRow, LeadStore, ScopeRow } from "../store/types.js";

/**
 * Field-level history of leads: what changed between two versions of a lead, and how to undo it.
 * A change names a top-level field of MOCO's lead JSON; custom fields are compared one by one (`key`).
 * A value that is absent (a custom field not set) is an absent `old`/`new`, never null, so undoing a
 * change restores exactly the JSON MOCO sent.
 */
export interface FieldChange {
  field: string;
  /** The custom field's name, for field "custom_properties". */
  key?: string;
  old?: unknown;
  new?: unknown;
}

/** Fields that change with every edit: kept for exact replay, left out of answers. */
export const BOOKKEEPING_FIELDS: ReadonlySet<string> = new Set(["updated_at"]);

type Json = Record<string, unknown>;

export function diffLeads(before: Lead, after: Lead): FieldChange[] {
  const a = before as Json;
  const b = after as Json;
  const changes: FieldChange[] = [];
  for (const field of unionKeys(a, b)) {
    if (field === "custom_properties") {
      changes.push(...diffCustom(a[field], b[field]));
      continue;
    }
    if (same(a[field], b[field])) continue;
    changes.push(entry({ field }, a, b, field));
  }
  return changes;
}

function diffCustom(before: unknown, after: unknown): FieldChange[] {
  const a = (before ?? {}) as Json;
  const b = (after ?? {}) as Json;
  const changes: FieldChange[] = [];
  for (const key of unionKeys(a, b)) {
    if (!same(a[key], b[key])) changes.push(entry({ field: "custom_properties", key }, a, b, key));
  }
  return changes;
}

function entry(change: FieldChange, a: Json, b: Json, key: string): FieldChange {
  if (Object.hasOwn(a, key)) change.old = a[key];
  if (Object.hasOwn(b, key)) change.new = b[key];
  return change;
}

/** The lead as it was before `changes` (the result of diffLeads(before, lead)) were made. */
export function undoChanges(lead: Lead, changes: readonly FieldChange[]): Lead {
  const out = structuredClone(lead) as Json;
  for (const c of changes) {
    let target = out;
    let key = c.field;
    if (c.key !== undefined) {
      out.custom_properties = (out.custom_properties ?? {}) as Json;
      target = out.custom_properties as Json;
      key = c.key;
    }
    if (Object.hasOwn(c, "old")) target[key] = structuredClone(c.old);
    else delete target[key];
  }
  return out as Lead;
}

/** Deep equality of JSON values, ignoring object key order. */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  const ka = Object.keys(a);
  const kb = b as Json;
  return (
    ka.length === Object.keys(kb).length &&
    ka.every((k) => Object.hasOwn(kb, k) && same((a as Json)[k], kb[k]))
  );
}

function unionKeys(a: Json, b: Json): string[] {
  const keys = Object.keys(a);
  for (const k of Object.keys(b)) if (!Object.hasOwn(a, k)) keys.push(k);
  return keys;
}

/** A change as answers show it: updated_at and other bookkeeping left out. */
export interface LeadChange {
  /** Paging position; also orders changes seen at the same instant. */
  seq: number;
  leadId: number;
  /** When the change was seen (ISO): by a sync, or at our own write. */
  seenAt: string;
  kind: ChangeKind;
  origin: ChangeOrigin;
  /** The lead's name after the change (before it, for a deletion). */
  name: string;
  /** updated: the fields that changed. */
  changes?: FieldChange[];
  /** created: the new lead; deleted: the lead as it was last seen. */
  lead?: Lead;
  /**
   * Who made the change, where known. MOCO's API records no author, so a sync does not know it (null).
   * A webhook's X-Moco-User-Id fills it, and our own write records the user of the key it was made with.
   */
  author: ChangeAuthor | null;
}

/** The MOCO user who made a change (a webhook's, or our write's key user): the id, and the name when known. */
export interface ChangeAuthor {
  id: number;
  name?: string;
}

/** A change's data without the author a webhook added to it (a lead's JSON never has one of its own). */
function withoutAuthor(data: unknown): { rest: Json; author?: ChangeAuthor } {
  const { author, ...rest } = data as Json;
  return author === undefined ? { rest } : { rest, author: author as ChangeAuthor };
}

export interface ChangesQuery {
  /** ISO timestamp or YYYY-MM-DD (midnight UTC): changes seen after it. */
  since: string;
  /** ISO timestamp or YYYY-MM-DD: changes seen up to it (default: now). */
  until?: string;
  leadId?: number;
  /**
   * Keep only changes this returns true for, e.g. a list filter applied to `lead`: the lead as the
   * mirror holds it now, or as last seen for one deleted since.
   */
  match?: (change: LeadChange, lead: Lead | undefined) => boolean;
  /** From a previous page's nextCursor. */
  cursor?: string;
  /** Default 50, at most 500. */
  limit?: number;
}

export interface ChangesPage {
  changes: LeadChange[];
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
  /** Where history begins (the first sync, or the retention cut-off); null before the first sync. */
  historyStart: string | null;
  /** True when `since` lies before historyStart: older changes are not known. */
  beforeHistory: boolean;
  /** The last sync: changes made in MOCO after it are not seen yet. */
  asOf: string | null;
}

/** The honest caveat for answers built on the history. */
export const GRANULARITY_NOTE =
  "Changes are seen when the mirror syncs: several edits of a lead between two syncs appear as one change, with the time it was seen, not the time it was made.";

export function toInstant(value: string): string {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new RangeError(`Not a date or timestamp: ${value}`);
  return new Date(ms).toISOString();
}

export function toLeadChange(row: ChangeRow): LeadChange {
  const { rest: data, author } = withoutAuthor(JSON.parse(row.data));
  const base = {
    seq: row.seq,
    leadId: row.leadId,
    seenAt: row.seenAt,
    kind: row.kind,
    origin: row.origin,
    author: author ?? null,
  };
  if (row.kind === "updated") {
    const { name, changes } = data as { name: string; changes: FieldChange[] };
    return { ...base, name, changes: changes.filter((c) => !BOOKKEEPING_FIELDS.has(c.field)) };
  }
  const lead = data as Lead;
  return { ...base, name: lead.name, lead };
}

/**
 * A lead the mirror no longer holds, as it was last seen: its deletion's record (a deleted lead's
 * newest change). Every change of a lead deleted since is matched against that state, not only the
 * deletion: an update before it would otherwise match no filter. Looked up once per lead and query.
 */
function lastSeenLeads(store: LeadStore, scope: string) {
  const found = new Map<number, Promise<Lead | undefined>>();
  const find = async (leadId: number) => {
    const [newest] = await store.changes(scope, { leadId, order: "desc", limit: 1 });
    return newest?.kind === "deleted" ? toLeadChange(newest).lead : undefined;
  };
  return (leadId: number) => {
    let lead = found.get(leadId);
    if (!lead) {
      lead = find(leadId);
      found.set(leadId, lead);
    }
    return lead;
  };
}

export async function queryChanges(
  store: LeadStore,
  scope: string,
  row: ScopeRow | undefined,
  leads: ReadonlyMap<number, Lead>,
  query: ChangesQuery,
): Promise<ChangesPage> {
  const since = toInstant(query.since);
  const until = query.until === undefined ? undefined : toInstant(query.until);
  const limit = Math.min(500, Math.max(1, query.limit ?? 50));
  let afterSeq = query.cursor === undefined ? undefined : Number(query.cursor);
  if (afterSeq !== undefined && !Number.isSafeInteger(afterSeq)) throw new RangeError("Invalid cursor");
  const out: LeadChange[] = [];
  let more = false;
  const lastSeen = lastSeenLeads(store, scope);
  // With a filter, read in batches until the page is full or the history ends.
  while (out.length < limit) {
    const batch = await store.changes(scope, {
      seenAfter: since,
      seenUntil: until,
      afterSeq,
      leadId: query.leadId,
      limit: query.match ? limit * 4 : limit + 1,
    });
    for (const r of batch) {
      afterSeq = r.seq;
      const change = toLeadChange(r);
      if (query.match) {
        const lead = leads.get(change.leadId) ?? (await lastSeen(change.leadId)) ?? change.lead;
        if (!query.match(change, lead)) continue;
      }
      if (out.length === limit) {
        more = true;
        break;
      }
      out.push(change);
    }
    if (more || batch.length < (query.match ? limit * 4 : limit + 1)) break;
  }
  const last = out.at(-1);
  const historyStart = row?.historyStart ?? null;
  return {
    changes: out,
    nextCursor: more && last ? String(last.seq) : null,
    historyStart,
    beforeHistory: historyStart === null || since < historyStart,
    asOf: row?.syncedAt ?? null,
  };
}

export type StateAt =
  | { ok: true; at: string; leads: Lead[]; historyStart: string }
  | { ok: false; historyStart: string | null; message: string };

/**
 * The leads as they stood at `at`: the current mirror with every later change undone, newest first.
 * Refused before the history starts, since nothing is known about that time.
 */
export async function reconstruct(
  store: LeadStore,
  scope: string,
  row: ScopeRow | undefined,
  leads: ReadonlyMap<number, Lead>,
  at: string,
): Promise<StateAt> {
  const instant = toInstant(at);
  const historyStart = row?.historyStart ?? null;
  if (historyStart === null)
    return { ok: false, historyStart, message: "No history yet: the mirror has not synced." };
  if (instant < historyStart) {
    return {
      ok: false,
      historyStart,
      message: `History begins ${historyStart}; nothing is known about earlier times.`,
    };
  }
  const state = new Map(leads);
  for (const r of await store.changes(scope, { seenAfter: instant, order: "desc" })) {
    const data = withoutAuthor(JSON.parse(r.data)).rest;
    if (r.kind === "created") state.delete(r.leadId);
    else if (r.kind === "deleted") state.set(r.leadId, data as Lead);
    else {
      const current = state.get(r.leadId);
      if (current) state.set(r.leadId, undoChanges(current, (data as { changes: FieldChange[] }).changes));
    }
  }
  return { ok: true, at: instant, leads: [...state.values()].sort((a, b) => a.id - b.id), historyStart };
}
