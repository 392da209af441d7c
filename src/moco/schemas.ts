import { z } from "zod";

/**
 * MOCO's lead ("deal") as the API sends it, validated and cleaned: empty-string dates become
 * null, the deprecated `customer` (a copy of `company`) is dropped, unknown extra fields are kept.
 * Field names and nesting stay MOCO's own. Odd values that lose nothing are read leniently (null
 * tags, a null first name, a probability sent as "30"), so one odd lead cannot stop every read.
 */
export const LEAD_STATUSES = ["potential", "pending", "won", "lost", "dropped"] as const;

const emptyToNull = (v: unknown) => (v === "" ? null : v);
const optionalDate = z.preprocess(emptyToNull, z.string().nullable().default(null));
const numeric = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v);
const money = z.preprocess(numeric, z.number());
/** A name part MOCO left null: read as "", which every display of a name already skips. */
const text = z.preprocess((v) => (v === null ? "" : v), z.string());
/** null and [] (what a serializer makes of an empty hash) both mean no custom properties. */
const properties = z.preprocess(
  (v) => (v === null || (Array.isArray(v) && v.length === 0) ? {} : v),
  z.record(z.string(), z.unknown()).default({}),
);
/** null means no tags; a null among them is no tag either. */
const tags = z.preprocess(
  (v) => (v === null ? [] : Array.isArray(v) ? v.filter((t) => t !== null) : v),
  z.array(z.string()).default([]),
);

/**
 * MOCO's timestamps carry a zone ("…Z", "…+02:00"). One without (seen: "2024-01-01T09:01:00",
 * "2024-01-01 09:01:00") would be read as this machine's local time by Date.parse, putting a sync
 * cursor hours off; MOCO means UTC, so it is made explicit. Every other form is kept as sent.
 */
const LOCAL_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;
export const utcTimestamp = (v: string) => v.replace(LOCAL_TIME, "$1T$2Z");
const timestamp = z.string().transform(utcTimestamp);

/** A person's display name as MOCO splits it: "Anna Schmid"; blank parts left out. */
export const fullName = (p: { firstname?: string | null; lastname?: string | null }) =>
  [p.firstname, p.lastname]
    .map((s) => s?.trim())
    .filter(Boolean)
    .join(" ");

/**
 * A pipeline stage (deal category): inside a lead, and in /deal_categories. A probability sent as
 * text ("30", "30.0") is read as the number; a missing one weighs like no stage at all (0).
 */
export const categorySchema = z.looseObject({
  id: z.number(),
  name: z.string(),
  probability: z.preprocess((v) => (v === null ? 0 : numeric(v)), z.number()),
});

const userRefSchema = z.looseObject({
  id: z.number(),
  firstname: text.default(""),
  lastname: text.default(""),
});
const companyRefSchema = z.looseObject({ id: z.number(), name: text, type: z.string().nullish() });
const personRefSchema = z.looseObject({ id: z.number(), name: text });

export const leadSchema = z
  .looseObject({
    id: z.number().int(),
    name: text,
    status: z.string(),
    reminder_date: optionalDate,
    closed_on: optionalDate,
    money,
    currency: z.string(),
    info: z.string().nullable().default(null),
    tags,
    custom_properties: properties,
    user: userRefSchema.nullable().default(null),
    person: personRefSchema.nullable().default(null),
    company: companyRefSchema.nullable().default(null),
    category: categorySchema.nullable().default(null),
    service_period_from: optionalDate,
    service_period_to: optionalDate,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .transform(({ customer: _deprecated, ...lead }) => lead);

export type Lead = z.infer<typeof leadSchema>;

/** The fields the schema fills in when MOCO leaves them out (older answers lack the service period). */
const DEFAULTED = [
  "reminder_date",
  "closed_on",
  "info",
  "tags",
  "custom_properties",
  "user",
  "person",
  "company",
  "category",
  "service_period_from",
  "service_period_to",
] as const;

/** The lead field a write field lands in: user_id → user, deal_category_id → category. */
const LEAD_FIELD: Record<string, string> = {
  user_id: "user",
  deal_category_id: "category",
  company_id: "company",
  person_id: "person",
};

const absent = new WeakMap<object, ReadonlySet<string>>();

/** Remembers which defaulted fields MOCO's `raw` answer lacked: their value on `lead` is a guess. */
export function noteAbsent(lead: Lead, raw: object): void {
  const record = raw as Record<string, unknown>;
  const missing = DEFAULTED.filter((f) => record[f] === undefined);
  if (missing.length > 0) absent.set(lead, new Set(missing));
}

/**
 * Whether MOCO's answer this lead was read from lacked `field` (a lead field or a write field such as
 * user_id): its value is unknown, not "none". False for a lead built any other way.
 */
export const unknownField = (lead: Lead, field: string): boolean =>
  absent.get(lead)?.has(LEAD_FIELD[field] ?? field) ?? false;
