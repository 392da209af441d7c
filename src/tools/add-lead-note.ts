import { z } from "zod";
import { defineTool, strictInput } from "../mcp/tool.js";
import { addLeadNote } from "../moco/comments.js";
import { id, visible } from "../replies/schemas/fields.js";
import { noteOut } from "../replies/schemas/output.js";

export const addLeadNoteTool = defineTool({
  name: "add_lead_note",
  title: "Add a note to a lead",
  description:
    "Add a note (MOCO comment) to a lead, e.g. after a call. Not idempotent: two calls, two notes. get_lead with include_notes reads them.",
  input: strictInput({
    id: id("Lead"),
    text: z
      .string()
      .trim()
      .min(1)
      .max(50_000)
      .refine(visible, "the note cannot be empty (or only invisible characters)")
      .describe("Plain text, or HTML limited to div, strong, em, u, pre, ul, ol, li, br"),
  }),
  output: z.object({ note: noteOut }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  uncertain: ({ id }) =>
    `The note MAY HAVE BEEN ADDED even though MOCO's answer did not confirm it. Check with get_lead (include_notes: true) on lead ${id} before adding it again.`,
  async run(args, ctx) {
    const note = await addLeadNote(ctx.moco, args.id, args.text, ctx.call);
    return { data: { note }, summary: `Added note ${note.id} to lead ${args.id}.` };
  },
});
