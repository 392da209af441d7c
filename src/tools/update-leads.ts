import { z } from "zod";
import { ASK_ABOVE, applyBulk, BULK_MAX, planBulk, previewToken } from "../leads/bulk.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { bulkQuestion, dryRunReply, refusal, runReply } from "../replies/bulk.js";
import { bulkChanges } from "../replies/schemas/changes.js";
import { checkRanges, leadFilterShape } from "../replies/schemas/filters.js";

// Loose, so a row's optional fields (warnings, may_have_succeeded) cost no bytes in tools/list.
const row = z.looseObject({
  id: z.number(),
  outcome: z.enum(["would_change", "changed", "unchanged", "skipped", "failed"]),
  changes: z.array(z.string()).optional(),
  reason: z.string().optional(),
});

export const updateLeadsTool = defineTool({
  name: "update_leads",
  title: "Update many leads",
  description: `Apply one set of changes to up to ${BULK_MAX} leads. dry_run: true shows each lead and its changes (no write) and a confirm_token that applies exactly those (by ids). A filter or over ${ASK_ABOVE} leads needs the human: asked, or that token.`,
  input: strictInput({
    ids: z.array(z.number().int().positive()).min(1).max(BULK_MAX).optional().describe("Lead ids"),
    // Validated exactly as list_leads' filters, while tools/list spells those out once.
    filter: z
      .record(z.string(), z.unknown())
      .pipe(strictInput(leadFilterShape).superRefine(checkRanges))
      .optional()
      .describe('Or list_leads\' filters, e.g. {"user":"Nicola","due":"overdue"}'),
    changes: bulkChanges.describe("Set on every lead"),
    dry_run: z.boolean().optional().describe("true: only preview"),
    confirm_token: z.string().max(100).optional().describe("From the dry run"),
  }).refine((a) => (a.ids === undefined) !== (a.filter === undefined), "give ids or filter, not both"),
  output: z.object({
    dry_run: z.boolean(),
    written: z.boolean(),
    counts: z.object({}).catchall(z.number()),
    leads: z.array(row).describe("Also name, warnings, may_have_succeeded"),
    confirm_token: z.string().optional(),
    expires_at: z.string().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  uncertain: () =>
    "Some changes MAY HAVE BEEN APPLIED even though MOCO's answer did not confirm it. Run update_leads again with dry_run: true to see which leads still differ.",
  async run(args, ctx) {
    const plan = await planBulk(args, ctx);
    if (args.dry_run) {
      const token = previewToken(plan, ctx);
      return dryRunReply(plan, token, ctx.maxScanPages);
    }
    const refused = refusal(plan, ctx.maxScanPages);
    if (refused) throw refused;
    const { confirm } = ctx;
    const ask = confirm && (() => confirm(bulkQuestion(plan)));
    return runReply(plan, await applyBulk(plan, args.confirm_token, { ...ctx, ask }), ctx.maxScanPages);
  },
});
