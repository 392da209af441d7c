import { z } from "zod";
import { id } from "../leads/fields.js";
import { leadLine, leadOut } from "../leads/output.js";
import { MocoError } from "../moco/errors.js";
import { deleteLead, getLead } from "../moco/leads.js";
import { defineTool } from "../tool.js";

export const deleteLeadTool = defineTool({
  name: "delete_lead",
  title: "Delete a lead",
  description:
    "Permanently delete a lead (deal). Asks the human to confirm where the client supports it. Returns the deleted lead's data. Check the id with get_lead.",
  input: z.strictObject({ id: id("Lead to delete") }),
  output: z.object({ deleted: z.boolean(), lead: leadOut }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  uncertain: ({ id }) =>
    `Lead ${id} MAY ALREADY BE DELETED even though no answer arrived. Check with get_lead: "does not exist" means it is gone.`,
  async run(args, ctx) {
    // Read first: the human sees what goes, MOCO may answer the DELETE with an empty 204, and the
    // caller needs the data to recreate the lead.
    const lead = await getLead(ctx.moco, args.id, ctx.call);
    // Without elicitation the host's approval prompt for a destructive tool is the guard.
    if (ctx.confirm) {
      const yes = await ctx.confirm(`Delete ${leadLine(lead)}? This cannot be undone.`).catch(() => false);
      if (!yes) {
        return {
          data: { deleted: false, lead },
          summary: `Not deleted: deleting ${leadLine(lead)} was not confirmed (declined, cancelled or unanswered). Nothing was changed.`,
        };
      }
    }
    try {
      await deleteLead(ctx.moco, args.id, ctx.call);
    } catch (error) {
      // A 404 on a retry means the first attempt deleted it and only its answer was lost.
      if (!(error instanceof MocoError && error.kind === "not_found" && error.attempts > 1)) throw error;
    }
    return { data: { deleted: true, lead }, summary: `Deleted ${leadLine(lead)}.` };
  },
});
