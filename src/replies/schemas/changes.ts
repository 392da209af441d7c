import { z } from "zod";
import type { BulkChanges } from "../../leads/bulk.js";
import { LEAD_STATUSES } from "../../moco/schemas.js";
import { noIdAndName, plainDate, refNames, writableFields } from "./fields.js";
import type { Assert, Same } from "./same.js";

const STAGE =
  "move the lead to another stage instead: deal_category (name) or deal_category_id; get_lead_options lists the stages with their probabilities";

/**
 * Fields a lead shows that no write sets: MOCO derives them (probability from the stage, timestamps,
 * ids) or names them otherwise in a write. A write that names one is refused with why and what to do,
 * before any request.
 */
const NOT_WRITTEN: Record<string, string> = {
  probability: `probability belongs to the stage: MOCO takes it from the lead's stage, it cannot be set. To change it, ${STAGE}`,
  weighted: `weighted is computed (money × the stage's probability): set money, or ${STAGE}`,
  category: "category is set as deal_category (name) or deal_category_id",
  stage: "stage is set as deal_category (name) or deal_category_id",
  created_at: "created_at is set by MOCO when the lead is created",
  updated_at: "updated_at is set by MOCO at every change",
  inbox_email_address: "inbox_email_address is assigned by MOCO",
  customer: "customer is MOCO's old name of company: set company (name) or company_id",
  customer_id: "customer_id is MOCO's old name of company_id: set company_id or company (name)",
  owner: 'the owner is set as user (name, e-mail or "me") or user_id',
};

/** Why a write does not take `key`, for a field MOCO derives or names otherwise; undefined for others. */
export const notWritten = (key: string): string | undefined =>
  Object.hasOwn(NOT_WRITTEN, key) ? NOT_WRITTEN[key] : undefined;

/** The changes update_leads takes: each optional, at least one, an id or a name per reference. */
const { user_id, deal_category_id, tags } = writableFields;
const day = () => plainDate().describe("YYYY-MM-DD");
const teach = (keys: string[]) => {
  const taught = keys.flatMap((k) => notWritten(k) ?? []);
  const unknown = keys.filter((k) => notWritten(k) === undefined);
  const rest =
    unknown.length > 0
      ? [`update_leads does not change ${unknown.join(", ")} (update_lead does, one lead at a time)`]
      : [];
  return [...taught, ...rest].join("; ");
};
export const bulkChanges = z
  .strictObject(
    {
      status: z.enum(LEAD_STATUSES),
      closed_on: day(),
      reminder_date: day(),
      user_id: user_id.describe("User id"),
      user: refNames.user.describe('Or by name, e-mail or "me"'),
      deal_category_id: deal_category_id.describe("Stage id"),
      deal_category: refNames.deal_category.describe("Or by name"),
      tags: tags.describe("Replace the tags"),
    },
    { error: (issue) => (issue.code === "unrecognized_keys" ? teach(issue.keys) : undefined) },
  )
  .partial()
  .superRefine(noIdAndName)
  .refine((c) => Object.keys(c).length > 0, "give at least one change");

/** What the schema parses to is exactly the domain's type (checked by the compiler both ways). */
export type ChangesMatch = Assert<Same<z.output<typeof bulkChanges>, BulkChanges>>;
