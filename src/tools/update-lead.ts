import { z } from "zod";
import { getLead, updateLead } from "../moco/leads.js";
import { defineTool } from "./define.js";
import { checkServicePeriod, id, refNames, writableFields } from "./fields.js";
import { leadLine, leadOut, warningsOut } from "./outputs.js";
import { noIdAndName, prepareWrite } from "./resolve.js";
import { changesBetween, warningsFor } from "./verify.js";

export const updateLeadTool = defineTool({
  name: "update_lead",
  title: "Update a lead",
  description:
    "Change the given fields of a lead (deal); find the id with list_leads. To close it, set status (and closed_on). Returns the stored lead, what changed, and warnings where MOCO stored something else.",
  input: z
    .strictObject({
      id: id("Lead to change"),
      ...z.object({ ...writableFields, ...refNames }).partial().shape,
    })
    .superRefine(checkServicePeriod)
    .superRefine(noIdAndName)
    .refine((args) => Object.keys(args).length > 1, "give at least one field to change besides id"),
  output: z.object({
    lead: leadOut,
    changes: z.array(z.string()).describe('"field: from → to"'),
    warnings: warningsOut,
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run({ id, ...args }, ctx) {
    const { body, ...known } = await prepareWrite(args, ctx);
    // Read first: the difference between before and after is what the caller is told changed.
    const before = await getLead(ctx.moco, id, ctx.call);
    const lead = await updateLead(ctx.moco, id, body, ctx.call);
    const changes = changesBetween(before, lead);
    const warnings = warningsFor({ asked: body, after: lead, before, ...known });
    const what = changes.length > 0 ? `Changed ${changes.join("; ")}.` : "Nothing changed.";
    const note = warnings.length > 0 ? ` WARNINGS: ${warnings.join("; ")}.` : "";
    return { data: { lead, changes, warnings }, summary: `Updated ${leadLine(lead)}. ${what}${note}` };
  },
});
