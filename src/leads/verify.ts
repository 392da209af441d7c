import { writeNote } from "../moco/leads.js";
import type { DealTags, PropertyDefinitions } from "../moco/reference.js";
import { type Lead, unknownField } from "../moco/schemas.js";
import { label as bare, quoted } from "../text.js";
import { refByIdField } from "./refs.js";

/**
 * Compares what a write asked for with what MOCO stored. MOCO silently ignores or alters some
 * writes (closed_on while pending, today's date on won, unknown custom fields, tag spellings);
 * every such difference becomes an explicit warning, and an update also lists what changed. A field
 * MOCO's answer left out is unknown, not "none": it is not compared.
 */
type Asked = Record<string, unknown>;

const SCALARS = [
  "name",
  "status",
  "money",
  "currency",
  "reminder_date",
  "closed_on",
  "info",
  "service_period_from",
  "service_period_to",
  "user_id",
  "deal_category_id",
  "company_id",
  "person_id",
] as const;
type Scalar = (typeof SCALARS)[number];

const label = (f: Scalar) => refByIdField(f)?.label ?? f;

function fieldValue(lead: Lead, field: Scalar): unknown {
  const ref = refByIdField(field);
  if (ref) return ref.of(lead)?.id ?? null;
  return (lead as Record<string, unknown>)[field] ?? null;
}

function show(lead: Lead, field: Scalar): string {
  const ref = refByIdField(field);
  if (ref) {
    const found = ref.of(lead);
    return found ? `${bare(found.name)} (id ${found.id})` : "none";
  }
  return showValue(field, fieldValue(lead, field));
}

/** Free text is quoted, so "" and trailing spaces show; codes, dates and numbers read better bare. */
function showValue(field: Scalar, value: unknown): string {
  if (refByIdField(field)) return value === null || value === undefined ? "none" : `id ${value}`;
  return field === "name" || field === "info" || value === null || value === undefined
    ? fmt(value)
    : String(value);
}

// Characters that could fake a line or reorder the text; JSON leaves them as they are (see quoted()).
const INVISIBLE = /[\p{Cf}\u2028\u2029]/gu;

function fmt(value: unknown): string {
  if (value === null || value === undefined || value === "") return "none";
  if (typeof value === "string") return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : quoted(value, 80);
  if (Array.isArray(value)) return `[${value.map((v) => fmt(v)).join(", ")}]`;
  if (typeof value === "object") {
    // A custom field may hold an object: shown as JSON, escaped and clipped like any text from MOCO.
    const json = JSON.stringify(value).replace(
      INVISIBLE,
      (c) => `\\u${c.codePointAt(0)?.toString(16).padStart(4, "0")}`,
    );
    return [...json].length > 120 ? `${[...json].slice(0, 119).join("")}…` : json;
  }
  return String(value);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function same(a: unknown, b: unknown): boolean {
  const blank = (v: unknown) => v === null || v === undefined || v === "";
  if (blank(a) && blank(b)) return true;
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) < 1e-9;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => same(a[k], b[k]));
  }
  return a === b;
}

const OPEN = new Set(["pending", "potential"]);

/** A side effect MOCO applied to closed_on, explained; undefined when it is not one MOCO is known for. */
function closedOnEffect(before: Lead | null, after: Lead): string | undefined {
  const was = before?.closed_on ?? null;
  if (after.status === "won" && after.closed_on && !was) {
    return `closed_on: not given, MOCO set it to ${after.closed_on} because the lead is won`;
  }
  if (OPEN.has(after.status) && was && !after.closed_on) {
    return `closed_on: MOCO cleared it (was ${was}) because the lead is ${after.status}`;
  }
  return undefined;
}

/** A custom property value as MOCO takes and stores it: a boolean is "1" or "0", the rest as is. */
export const stored = (v: unknown) => (v === true ? "1" : v === false ? "0" : v);

export interface VerifyInput {
  asked: Asked;
  after: Lead;
  /** The lead before an update; null for a create. */
  before: Lead | null;
  /** Deal custom property definitions, when custom_properties were asked. */
  definitions?: PropertyDefinitions;
  /** The account's deal tags before the write, when tags were asked. */
  knownTags?: DealTags;
}

/** Whether `field` is unknown on either lead (left out of the MOCO answer it was read from). */
const unknownOn = (field: string, ...leads: (Lead | null)[]) =>
  leads.some((l) => l !== null && unknownField(l, field));

export function warningsFor({ asked, after, before, definitions, knownTags }: VerifyInput): string[] {
  const warnings: string[] = [];
  const note = writeNote(after);
  if (note) warnings.push(note);
  // Asked, but MOCO's answer (even read again) does not show it: whether it was stored is unknown.
  const unseen = (field: Scalar | "tags", wanted: string) =>
    `${field === "tags" ? field : label(field)}: MOCO's answer does not show it, so whether ${wanted} was stored is unknown; get_lead shows what MOCO holds`;
  for (const field of SCALARS) {
    const wanted = asked[field];
    if (wanted !== undefined && unknownOn(field, after)) {
      warnings.push(unseen(field, showValue(field, wanted)));
      continue;
    }
    if (unknownOn(field, after, wanted === undefined ? before : null)) continue;
    if (wanted === undefined) {
      const changed = before !== null && !same(fieldValue(before, field), fieldValue(after, field));
      const effect = field === "closed_on" ? closedOnEffect(before, after) : undefined;
      if (effect) warnings.push(effect);
      else if (changed && before) {
        warnings.push(
          `${label(field)} changed although not asked: ${show(before, field)} → ${show(after, field)} (another edit in MOCO at the same time?)`,
        );
      }
      continue;
    }
    if (same(wanted, fieldValue(after, field))) continue;
    if (field === "closed_on" && OPEN.has(after.status)) {
      warnings.push(
        `closed_on: MOCO ignores it while a lead is ${after.status}, so ${wanted} was not stored; set status won, lost or dropped together with closed_on`,
      );
    } else {
      warnings.push(`${label(field)}: asked ${showValue(field, wanted)}, MOCO stored ${show(after, field)}`);
    }
  }
  if (Array.isArray(asked.tags)) {
    if (unknownOn("tags", after)) warnings.push(unseen("tags", fmt(asked.tags)));
    else warnings.push(...tagWarnings(asked.tags as string[], after.tags, knownTags));
  } else if (
    before &&
    !unknownOn("tags", before, after) &&
    !same([...before.tags].sort(), [...after.tags].sort())
  ) {
    warnings.push(`tags changed although not asked: ${fmt(before.tags)} → ${fmt(after.tags)}`);
  }
  const props = asked.custom_properties;
  if (props && typeof props === "object" && !unknownOn("custom_properties", after)) {
    warnings.push(...propertyWarnings(props as Asked, after.custom_properties, definitions));
  }
  return bounded(warnings, "warnings");
}

/** Asked tags the account did not have yet (MOCO creates them on write). */
export const newTags = (asked: string[], known: string[]) =>
  asked.filter((t) => !known.some((k) => k.toLowerCase() === t.trim().toLowerCase()));

function tagWarnings(asked: string[], got: string[], known: DealTags | undefined): string[] {
  const out: string[] = [];
  const wanted = [...new Set(asked.map((t) => t.trim()))];
  const lower = (t: string) => t.toLowerCase();
  for (const tag of wanted) {
    if (got.includes(tag)) continue;
    const respelled = got.find((g) => lower(g) === lower(tag));
    out.push(
      respelled
        ? `tags: MOCO stored ${quoted(tag)} as ${quoted(respelled)} (the account's spelling)`
        : `tags: ${quoted(tag)} was asked but not stored`,
    );
  }
  const extra = got.filter((g) => !wanted.some((t) => lower(t) === lower(g)));
  if (extra.length > 0) out.push(`tags: MOCO also kept ${fmt(extra)}, which were not asked`);
  const created = known ? newTags(wanted, known.tags) : [];
  if (created.length > 0 && known?.complete) {
    out.push(
      `tags: ${fmt(created)} did not exist as deal tags, so MOCO created them; check the spelling (get_lead_options lists the tags)`,
    );
  } else if (created.length > 0) {
    out.push(
      `tags: could not check whether ${fmt(created)} existed before: the account's tag list is incomplete (${known?.tags.length} read)`,
    );
  }
  return out;
}

function propertyWarnings(
  asked: Asked,
  got: Record<string, unknown>,
  known: PropertyDefinitions | undefined,
) {
  const out: string[] = [];
  const defs = known?.definitions;
  for (const [name, value] of Object.entries(asked)) {
    const def = defs?.find((d) => d.name === name);
    // A list cut short cannot prove a field unknown; comparing what MOCO stored still tells.
    if (defs && !def && known?.complete) {
      const near = defs.find((d) => d.name.toLowerCase() === name.toLowerCase());
      const hint = near
        ? `did you mean ${quoted(near.name)}?`
        : `lead fields: ${defs.map((d) => bare(d.name)).join(", ")}`;
      out.push(
        `custom_properties: ${quoted(name)} is not a custom field of leads, so MOCO ignored it; ${hint}`,
      );
      continue;
    }
    const want = stored(value);
    const have = got[name];
    const equal =
      Array.isArray(want) && Array.isArray(have)
        ? same([...want].sort(), [...have].sort())
        : same(want, have);
    if (!equal) {
      const what = have === undefined ? "did not store it" : `stored ${fmt(have)}`;
      out.push(`custom_properties.${bare(name)}: asked ${fmt(value)}, MOCO ${what}`);
    }
    const options = def?.options ?? [];
    const chosen = Array.isArray(value) ? value : typeof value === "string" && value !== "" ? [value] : [];
    const unknown = options.length > 0 ? chosen.filter((v) => !options.includes(v as string)) : [];
    if (unknown.length > 0) {
      out.push(
        `custom_properties.${bare(name)}: ${fmt(Array.isArray(value) ? unknown : value)} not among its options (${options.map((o) => bare(o)).join(", ")})`,
      );
    }
  }
  return out;
}

/** A yes/no field's stored "1" or "0" as the interface shows it; other values as fmt does. */
const yesNoShown = (v: unknown) =>
  v === "1" || v === true ? "yes" : v === "0" || v === false ? "no" : fmt(v);

/**
 * What an update changed, "field: from → to", compared over the lead before and after. With the
 * custom field definitions, a yes/no field reads yes or no, not MOCO's "1" or "0".
 */
export function changesBetween(before: Lead, after: Lead, definitions?: PropertyDefinitions): string[] {
  const out: string[] = [];
  // A field `after` lacks is not compared. One only `before` lacks (MOCO's answer left it out) is
  // unknown there: a value different from its placeholder is a change from "unknown", so a write of it
  // is still planned and sent.
  const was = (field: string, shown: string) => (unknownOn(field, before) ? "unknown" : shown);
  for (const field of SCALARS) {
    if (unknownOn(field, after)) continue;
    if (!same(fieldValue(before, field), fieldValue(after, field))) {
      out.push(`${label(field)}: ${was(field, show(before, field))} → ${show(after, field)}`);
    }
  }
  if (!unknownOn("tags", after) && !same([...before.tags].sort(), [...after.tags].sort())) {
    out.push(`tags: ${was("tags", fmt(before.tags))} → ${fmt(after.tags)}`);
  }
  const unknownProps = unknownOn("custom_properties", after);
  const keys = new Set(
    unknownProps ? [] : [...Object.keys(before.custom_properties), ...Object.keys(after.custom_properties)],
  );
  for (const key of keys) {
    const a = before.custom_properties[key];
    const b = after.custom_properties[key];
    const yesNo = definitions?.definitions.some((d) => d.name === key && d.kind.toLowerCase() === "boolean");
    const shown = yesNo ? yesNoShown : fmt;
    if (!same(a, b)) out.push(`custom_properties.${bare(key)}: ${shown(a)} → ${shown(b)}`);
  }
  return bounded(out, "changes");
}

/** At most MAX_LINES lines, each clipped: a lead with 20,000 odd fields must not make a 6 MB reply. */
const MAX_LINES = 25;
export function bounded(lines: string[], what: string): string[] {
  const clipped = lines.map((l) => ([...l].length > 400 ? `${[...l].slice(0, 399).join("")}…` : l));
  if (clipped.length <= MAX_LINES) return clipped;
  return [
    ...clipped.slice(0, MAX_LINES - 1),
    `(${clipped.length - (MAX_LINES - 1)} more ${what} not shown; get_lead shows the lead)`,
  ];
}
