import { z } from "zod";
import type { BulkChanges } from "../../leads/bulk.js";
import { LEAD_STATUSES } from "../../moco/schemas.js";
import { noIdAndName, plainDate, refNames, writableFields } from "./fields.js";
import type { Assert, Same } from "./same.js";

/** The changes update_leads takes: each optional, at least one, an id or a name per reference. */
const { user_id, deal_category_id, tags } = writableFields;
const day = () => plainDate().describe("YYYY-MM-DD");
export const bulkChanges = z
  .strictObject({
    status: z.enum(LEAD_STATUSES),
    closed_on: day(),
    reminder_date: day(),
    user_id: user_id.describe("User id"),
    user: refNames.user.describe('Or by name, e-mail or "me"'),
    deal_category_id: deal_category_id.describe("Stage id"),
    deal_category: refNames.deal_category.describe("Or by name"),
    tags: tags.describe("Replace the tags"),
  })
  .partial()
  .superRefine(noIdAndName)
  .refine((c) => Object.keys(c).length > 0, "give at least one change");

/** What the schema parses to is exactly the domain's type (checked by the compiler both ways). */
export type ChangesMatch = Assert<Same<z.output<typeof bulkChanges>, BulkChanges>>;
