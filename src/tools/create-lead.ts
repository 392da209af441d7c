import { z } from "zod";
import { createLead } from "../moco/leads.js";
import { defineTool } from "./define.js";
import { checkServicePeriod, writableFields } from "./fields.js";
import { leadLine, leadOut } from "./outputs.js";

const MANDATORY = ["name", "currency", "money", "reminder_date", "user_id", "deal_category_id"] as const;
const fields = z
  .object(writableFields)
  .partial()
  .required(
    Object.fromEntries(MANDATORY.map((k) => [k, true])) as { [K in (typeof MANDATORY)[number]]: true },
  );

export const createLeadTool = defineTool({
  name: "create_lead",
  title: "Create a lead",
  description:
    "Create a new lead (deal) in MOCO. Writes data; not idempotent: calling twice creates two leads. Status defaults to pending.",
  input: z.strictObject(fields.shape).superRefine(checkServicePeriod),
  output: z.object({ lead: leadOut }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run(args, ctx) {
    const lead = await createLead(ctx.moco, args, ctx.call);
    return { data: { lead }, summary: `Created ${leadLine(lead)}.` };
  },
});
