import { z } from "zod";
import { seen } from "../leads/context.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { leadNotes } from "../moco/comments.js";
import { getLead } from "../moco/leads.js";
import { capLead } from "../replies/cap.js";
import { count, leadLine } from "../replies/lines.js";
import { fitRows } from "../replies/rows.js";
import { id } from "../replies/schemas/fields.js";
import { leadOut, noteOut } from "../replies/schemas/output.js";

export const getLeadTool = defineTool({
  name: "get_lead",
  title: "Get a lead",
  description:
    "Read one lead (deal) with all fields, optionally its notes. Read-only. Find the id with list_leads.",
  input: strictInput({
    id: id("Lead"),
    include_notes: z.boolean().default(false).describe("true: also its 50 newest notes, newest first"),
    info_from: z.number().int().min(0).optional().describe("Long info: read on from this character"),
  }),
  output: z.object({ lead: leadOut, notes: z.array(noteOut).optional() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(args, ctx) {
    const read = await getLead(ctx.moco, args.id, ctx.call);
    await seen(ctx, [read]);
    const { lead, notes: clipped } = capLead(read, args.info_from ?? 0);
    const found = `Found ${leadLine(lead)}.${clipped.map((c) => ` ${c}`).join("")}`;
    if (!args.include_notes) return { data: { lead }, summary: found };
    const { notes, total } = await leadNotes(ctx.moco, args.id, ctx.call);
    const more = total !== null && total > notes.length ? ` (the newest of ${total})` : "";
    const shown = fitRows(notes).rows;
    return { data: { lead, notes: shown }, summary: `${found} ${count(notes.length, "note")}${more}.` };
  },
});
