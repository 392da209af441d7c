import { z } from "zod";
import { remember } from "../leads/context.js";
import { prepareWrite } from "../leads/resolve.js";
import { changesBetween, warningsFor } from "../leads/verify.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { getLead, updateLead } from "../moco/leads.js";
import { capLead } from "../replies/cap.js";
import { leadLine } from "../replies/lines.js";
import { notWritten } from "../replies/schemas/changes.js";
import { checkServicePeriod, id, noIdAndName, refNames, writableFields } from "../replies/schemas/fields.js";
import { leadOut, warningsOut } from "../replies/schemas/output.js";

/** What `clear` empties, as MOCO's fields: sent as null, which MOCO stores as no value. */
const CLEARS = {
  company: ["company_id"],
  person: ["person_id"],
  closed_on: ["closed_on"],
  service_period: ["service_period_from", "service_period_to"],
} as const;
type Clear = keyof typeof CLEARS;

export const updateLeadTool = defineTool({
  name: "update_lead",
  title: "Update a lead",
  description:
    "Change the given fields of a lead (deal; fields as in create_lead). To close it, set status (and closed_on). Returns the lead, what changed and warnings where MOCO stored something else.",
  input: strictInput(
    {
      id: id("Lead"),
      ...z.object({ ...writableFields, ...refNames }).partial().shape,
      clear: z
        .array(z.enum(Object.keys(CLEARS) as [Clear, ...Clear[]]))
        .min(1)
        .optional()
        .describe('Fields to empty, e.g. ["person"]'),
    },
    notWritten,
  )
    .superRefine(checkServicePeriod)
    .superRefine(noIdAndName)
    .superRefine(({ clear, ...args }, ctx) => {
      for (const what of clear ?? []) {
        const given = [what, ...CLEARS[what]].filter(
          (f) => (args as Record<string, unknown>)[f] !== undefined,
        );
        if (given.length > 0) {
          ctx.addIssue({
            code: "custom",
            path: ["clear"],
            message: `${what} is both cleared and set (${given[0]})`,
          });
        }
      }
    })
    .refine((args) => Object.keys(args).length > 1, "give at least one field to change besides id"),
  output: z.object({
    lead: leadOut,
    changes: z.array(z.string()).describe('"field: from → to"'),
    warnings: warningsOut,
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  uncertain: ({ id }) =>
    `The change MAY HAVE BEEN APPLIED even though MOCO's answer did not confirm it. Check lead ${id} with get_lead before trying again.`,
  async run({ id, clear, ...args }, ctx) {
    const { body: resolved, notes, ...known } = await prepareWrite(args, ctx);
    const body: Record<string, unknown> = { ...resolved };
    for (const field of (clear ?? []).flatMap((what) => CLEARS[what])) body[field] = null;
    // Read first: the difference between before and after is what the caller is told changed.
    const before = await getLead(ctx.moco, id, ctx.call);
    const lead = await updateLead(ctx.moco, id, body, ctx.call);
    await remember(ctx, lead);
    const changes = changesBetween(before, lead, known.definitions);
    const warnings = [...notes, ...warningsFor({ asked: body, after: lead, before, ...known })];
    const what = changes.length > 0 ? `Changed ${changes.join("; ")}.` : "Nothing changed.";
    const note = warnings.length > 0 ? ` WARNINGS: ${warnings.join("; ")}.` : "";
    return {
      data: { lead: capLead(lead).lead, changes, warnings },
      summary: `Updated ${leadLine(lead)}. ${what}${note}`,
    };
  },
});
