import { z } from "zod";
import { deleteLead, getLead } from "../moco/leads.js";
import { defineTool } from "./define.js";
import { id } from "./fields.js";
import { leadLine, leadOut } from "./outputs.js";

export const deleteLeadTool = defineTool({
  name: "delete_lead",
  title: "Delete a lead",
  description:
    "Permanently delete a MOCO lead (deal). Destructive and cannot be undone; the result carries the deleted lead's data. Use get_lead first to be sure of the id.",
  input: z.strictObject({ id: id("Lead to delete") }),
  output: z.object({ deleted: z.boolean(), lead: leadOut }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  async run(args, ctx) {
    // Read first: MOCO may answer the DELETE with an empty 204, and the caller needs the data
    // to recreate the lead.
    const lead = await getLead(ctx.moco, args.id, ctx.call);
    await deleteLead(ctx.moco, args.id, ctx.call);
    return { data: { deleted: true, lead }, summary: `Deleted ${leadLine(lead)}.` };
  },
});
