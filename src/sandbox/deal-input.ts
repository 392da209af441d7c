// MOCO's write rules for POST/PUT/PATCH /deals: turns a request body plus the stored lead (if any) into
// the lead as it will be stored, or into the error MOCO would answer with. German messages and the bare
// field map ({"name":["muss ausgefüllt werden"]}) are what a German MOCO account sends.

import { isFirstOfMonth, isLastOfMonth, isValidDate } from "./dates.js";
import type { CustomPropertyDefinition, CustomValue, DealRecord, DealStatus } from "./types.js";
import { DEAL_STATUSES } from "./types.js";

const BLANK = "muss ausgefüllt werden";
const INVALID = "ist nicht gültig";
const REQUIRED = ["name", "currency", "money", "reminder_date", "user_id", "deal_category_id"] as const;
/** MOCO limits a record's custom_properties to 12 kB. */
const CUSTOM_PROPERTIES_MAX_BYTES = 12 * 1024;

/** What the rules need to know about the rest of the account. */
export interface DealLookups {
  today: string;
  hasUser(id: number): boolean;
  hasCategory(id: number): boolean;
  hasCompany(id: number): boolean;
  hasPerson(id: number): boolean;
  customPropertyDefinitions(entity: string): CustomPropertyDefinition[];
  /** The stored spelling of a Deal tag that matches case-insensitively, else the name itself. */
  canonicalTag(name: string): string;
}

export type DealFields = Omit<DealRecord, "id" | "created_at" | "updated_at">;
export type DealWrite = { ok: true; fields: DealFields } | { ok: false; status: 400 | 422; body: unknown };

export function resolveDealWrite(lookups: DealLookups, input: unknown, existing?: DealRecord): DealWrite {
  if (!isObject(input)) return { ok: false, status: 422, body: { message: "Invalid payload" } };
  // An unknown status is an enum assignment error in MOCO: 400, before any validation runs.
  const status = input.status;
  if (status !== undefined && status !== null && !DEAL_STATUSES.includes(status as DealStatus)) {
    return { ok: false, status: 400, body: { error: `'${String(status)}' is not a valid status` } };
  }

  const errors: Record<string, string[]> = {};
  const fail = (field: string, message: string) => {
    errors[field] = [...(errors[field] ?? []), message];
  };
  const given = (field: string) => Object.hasOwn(input, field);
  const next: DealFields = existing ? copyFields(existing) : blankFields();

  for (const field of REQUIRED) {
    if ((!existing || given(field)) && isBlank(input[field])) fail(field, BLANK);
  }
  const present = (field: string) => given(field) && !isBlank(input[field]);

  if (present("name")) {
    const name = input.name;
    if (typeof name === "string" || typeof name === "number") next.name = String(name);
    else fail("name", INVALID);
  }
  if (present("currency")) {
    const currency = input.currency;
    if (typeof currency === "string" && /^[A-Z]{3}$/.test(currency)) next.currency = currency;
    else fail("currency", INVALID);
  }
  if (present("money")) {
    const money = toNumber(input.money);
    if (money === undefined) fail("money", "ist keine Zahl");
    else if (money < 0) fail("money", "muss größer oder gleich 0 sein");
    else next.money = Math.round(money * 100) / 100;
  }
  if (present("reminder_date")) {
    if (isValidDate(input.reminder_date)) next.reminder_date = input.reminder_date;
    else fail("reminder_date", INVALID);
  }
  const reference = (field: string, exists: (id: number) => boolean): number | undefined => {
    const id = toId(input[field]);
    if (id !== undefined && exists(id)) return id;
    fail(field, INVALID);
    return undefined;
  };
  if (present("user_id")) next.user_id = reference("user_id", (id) => lookups.hasUser(id)) ?? next.user_id;
  if (present("deal_category_id")) {
    next.deal_category_id =
      reference("deal_category_id", (id) => lookups.hasCategory(id)) ?? next.deal_category_id;
  }
  // customer_id is the deprecated alias of company_id; company_id wins when both are sent.
  const companyField = given("company_id") ? "company_id" : given("customer_id") ? "customer_id" : undefined;
  if (companyField) {
    next.company_id = isBlank(input[companyField])
      ? null
      : (reference(companyField, (id) => lookups.hasCompany(id)) ?? next.company_id);
  }
  if (given("person_id")) {
    next.person_id = isBlank(input.person_id)
      ? null
      : (reference("person_id", (id) => lookups.hasPerson(id)) ?? next.person_id);
  }
  if (given("info")) {
    const info = input.info;
    if (info === null || typeof info === "string") next.info = info ?? "";
    else fail("info", INVALID);
  }
  if (typeof status === "string") next.status = status as DealStatus;

  if (given("closed_on")) {
    if (isBlank(input.closed_on)) next.closed_on = "";
    else if (isValidDate(input.closed_on)) next.closed_on = input.closed_on;
    else fail("closed_on", INVALID);
  }
  resolvePeriod(input, next, fail);
  if (given("tags")) {
    const tags = resolveTags(lookups, input.tags);
    if (tags) next.tags = tags;
    else fail("tags", INVALID);
  }
  if (given("custom_properties") && input.custom_properties !== null) {
    const merged = mergeCustomProperties(lookups, next.custom_properties, input.custom_properties);
    if (typeof merged === "string") fail("custom_properties", merged);
    else next.custom_properties = merged;
  }

  if (Object.keys(errors).length > 0) return { ok: false, status: 422, body: errors };
  applyClosedOnRules(next, lookups.today);
  return { ok: true, fields: next };
}

/**
 * Recorded MOCO behaviour: closed_on is dropped while a lead is open (pending/potential), a won lead
 * without a date gets today, lost/dropped keep what they were given ("" if nothing).
 */
function applyClosedOnRules(next: DealFields, today: string): void {
  if (next.status === "pending" || next.status === "potential") next.closed_on = "";
  else if (next.status === "won" && next.closed_on === "") next.closed_on = today;
}

function resolvePeriod(
  input: Record<string, unknown>,
  next: DealFields,
  fail: (f: string, m: string) => void,
): void {
  const rules = [
    ["service_period_from", isFirstOfMonth, "muss der erste Tag eines Monats sein"],
    ["service_period_to", isLastOfMonth, "muss der letzte Tag eines Monats sein"],
  ] as const;
  let valid = true;
  for (const [field, rule, message] of rules) {
    if (!Object.hasOwn(input, field)) continue;
    const value = input[field];
    if (isBlank(value)) next[field] = null;
    else if (!isValidDate(value)) fail(field, INVALID);
    else if (!rule(value)) fail(field, message);
    else {
      next[field] = value;
      continue;
    }
    valid = false;
  }
  const { service_period_from: from, service_period_to: to } = next;
  if (valid && from && to && from > to)
    fail("service_period_to", "muss nach dem Beginn des Leistungszeitraums liegen");
}

/** Tags are stored trimmed, deduplicated (case-insensitively, keeping an existing tag's spelling) and sorted. */
function resolveTags(lookups: DealLookups, value: unknown): string[] | undefined {
  if (value === null) return [];
  if (!Array.isArray(value) || !value.every((t) => typeof t === "string" || typeof t === "number"))
    return undefined;
  const byKey = new Map<string, string>();
  for (const raw of value) {
    const name = String(raw).trim();
    if (name && !byKey.has(name.toLowerCase())) byKey.set(name.toLowerCase(), lookups.canonicalTag(name));
  }
  return [...byKey.values()].sort();
}

/** Merge, never replace: only given keys change; names not defined for Deal are silently ignored. */
function mergeCustomProperties(
  lookups: DealLookups,
  stored: Record<string, CustomValue>,
  value: unknown,
): Record<string, CustomValue> | string {
  if (!isObject(value)) return INVALID;
  const defs = new Map(lookups.customPropertyDefinitions("Deal").map((d) => [d.name, d]));
  const merged = { ...stored };
  for (const [name, raw] of Object.entries(value)) {
    const def = defs.get(name);
    if (!def) continue;
    const coerced = coerceCustomValue(def, raw);
    if (coerced === undefined) return INVALID;
    merged[name] = coerced;
  }
  if (Buffer.byteLength(JSON.stringify(merged)) > CUSTOM_PROPERTIES_MAX_BYTES) return "ist zu lang";
  return merged;
}

function coerceCustomValue(def: CustomPropertyDefinition, raw: unknown): CustomValue | undefined {
  switch (def.kind) {
    case "Boolean":
      if (raw === true || raw === 1 || raw === "1" || raw === "true") return "1";
      if (raw === false || raw === 0 || raw === "0" || raw === "false" || isBlank(raw)) return "0";
      return undefined;
    case "MultiSelect":
      if (raw === null) return [];
      if (typeof raw === "string") return [raw];
      return Array.isArray(raw) && raw.every((v) => typeof v === "string") ? [...raw] : undefined;
    case "Date":
      if (isBlank(raw)) return "";
      return isValidDate(raw) ? raw : undefined;
    default:
      if (raw === null) return "";
      return typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean"
        ? String(raw)
        : undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

/** Rails-style coercion: 12 and "12" are the same id; anything else is no id. */
function toId(value: unknown): number | undefined {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\d+$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

function copyFields(d: DealRecord): DealFields {
  const { id: _id, created_at: _c, updated_at: _u, ...fields } = d;
  return { ...fields, tags: [...fields.tags], custom_properties: structuredClone(fields.custom_properties) };
}

function blankFields(): DealFields {
  return {
    name: "",
    status: "pending",
    reminder_date: "",
    closed_on: "",
    money: 0,
    currency: "",
    info: "",
    tags: [],
    custom_properties: {},
    user_id: 0,
    person_id: null,
    company_id: null,
    deal_category_id: 0,
    service_period_from: null,
    service_period_to: null,
  };
}
