import { z } from "zod";
import { updateLead } from "../moco/leads.js";
import { defineTool } from "./define.js";
import { checkServicePeriod, id, writableFields } from "./fields.js";
import { leadLine, leadOut } from "./outputs.js";

export const updateLeadTool = defineTool({
  name: "update_lead",
  title: "Update a lead",
  description:
    "Change fields of an existing MOCO lead (deal); only the fields given are changed. Use get_lead or list_leads first to find the id. To mark a lead won/lost set status.",
  input: z
    .strictObject({ id: id("Lead to change"), ...z.object(writableFields).partial().shape })
    .superRefine(checkServicePeriod)
    .refine((args) => Object.keys(args).length > 1, "give at least one field to change besides id"),
  output: z.object({ lead: leadOut }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run({ id, ...changes }, ctx) {
    const lead = await updateLead(ctx.moco, id, changes, ctx.call);
    return { data: { lead }, summary: `Updated ${leadLine(lead)}.` };
  },
});
