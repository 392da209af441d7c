import { z } from "zod";

/**
 * MOCO's lead ("deal") as the API sends it, validated and cleaned: empty-string dates become
 * null, the deprecated `customer` (a copy of `company`) is dropped, unknown extra fields are kept.
 * Field names and nesting stay MOCO's own.
 */
export const LEAD_STATUSES = ["potential", "pending", "won", "lost", "dropped"] as const;

const emptyToNull = (v: unknown) => (v === "" ? null : v);
const optionalDate = z.preprocess(emptyToNull, z.string().nullable().default(null));
const money = z.preprocess((v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v), z.number());

/** A person's display name as MOCO splits it: "Anna Schmid"; blank parts left out. */
export const fullName = (p: { firstname?: string | null; lastname?: string | null }) =>
  [p.firstname, p.lastname]
    .map((s) => s?.trim())
    .filter(Boolean)
    .join(" ");

/** A pipeline stage (deal category): inside a lead, and in /deal_categories. */
export const categorySchema = z.looseObject({ id: z.number(), name: z.string(), probability: z.number() });

const userRefSchema = z.looseObject({ id: z.number(), firstname: z.string(), lastname: z.string() });
const companyRefSchema = z.looseObject({ id: z.number(), name: z.string(), type: z.string().optional() });
const personRefSchema = z.looseObject({ id: z.number(), name: z.string() });

export const leadSchema = z
  .looseObject({
    id: z.number().int(),
    name: z.string(),
    status: z.string(),
    reminder_date: optionalDate,
    closed_on: optionalDate,
    money,
    currency: z.string(),
    info: z.string().nullable().default(null),
    tags: z.array(z.string()).default([]),
    custom_properties: z.record(z.string(), z.unknown()).default({}),
    user: userRefSchema.nullable().default(null),
    person: personRefSchema.nullable().default(null),
    company: companyRefSchema.nullable().default(null),
    category: categorySchema.nullable().default(null),
    service_period_from: optionalDate,
    service_period_to: optionalDate,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .transform(({ customer: _deprecated, ...lead }) => lead);

export type Lead = z.infer<typeof leadSchema>;
