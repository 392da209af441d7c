import { z } from "zod";
import { getLead } from "../moco/leads.js";
import { defineTool } from "./define.js";
import { id } from "./fields.js";
import { leadLine, leadOut } from "./outputs.js";

export const getLeadTool = defineTool({
  name: "get_lead",
  title: "Get a lead",
  description: "Read one MOCO lead (deal) with all its fields. Read-only. Use list_leads to find the id.",
  input: z.strictObject({ id: id("Lead") }),
  output: z.object({ lead: leadOut }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(args, ctx) {
    const lead = await getLead(ctx.moco, args.id, ctx.call);
    return { data: { lead }, summary: `Found ${leadLine(lead)}.` };
  },
});
