import { z } from "zod";
import { InputError } from "../errors.js";
import { checkToken, giveBackToken, issueToken, spendToken } from "../leads/confirm.js";
import { forget } from "../leads/context.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { MocoError } from "../moco/errors.js";
import { deleteLead, getLead } from "../moco/leads.js";
import type { Lead } from "../moco/schemas.js";
import { capLead } from "../replies/cap.js";
import { leadLine } from "../replies/lines.js";
import { id } from "../replies/schemas/fields.js";
import { leadOut } from "../replies/schemas/output.js";

/** The token is bound to the lead and its updated_at: any edit after the preview voids it. */
const subject = (lead: Lead) => ({ purpose: "delete", what: String(lead.id), state: lead.updated_at });

const REFUSED = {
  malformed: () => "the confirm_token is not one this server issued",
  other: (id: number) =>
    `the confirm_token was not issued for lead ${id} (another lead, another MOCO account, or altered)`,
  expired: (_: number, at?: string) => `the confirm_token expired at ${at}`,
  changed: (id: number) => `lead ${id} was changed in MOCO after the preview`,
  used: (id: number) => `the confirm_token for lead ${id} was already used (a token confirms one delete)`,
  unrecorded: () =>
    "the lead store could not record the confirm_token's use, so it was not used (PostgreSQL is used again within seconds of answering; a SQLite file that failed is left out until a restart)",
};

export const deleteLeadTool = defineTool({
  name: "delete_lead",
  title: "Delete a lead",
  description:
    "Permanently delete a lead (deal). Asks the human where the client can; otherwise the first call deletes nothing and returns the lead with a confirm_token (5 min): show it to the human, then call again with it. Find the id with list_leads.",
  input: strictInput({
    id: id("Lead"),
    confirm_token: z.string().max(100).optional().describe("From the preview call"),
  }),
  output: z.object({
    deleted: z.boolean(),
    lead: leadOut,
    confirm_token: z.string().optional(),
    expires_at: z.string().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  uncertain: ({ id }) =>
    `Lead ${id} MAY ALREADY BE DELETED even though MOCO's answer did not confirm it. Check with get_lead: "does not exist" means it is gone.`,
  async run(args, ctx) {
    // Read first: the human sees what goes, MOCO may answer the DELETE with an empty 204, and the
    // caller needs the data to recreate the lead.
    const lead = capLead(await getLead(ctx.moco, args.id, ctx.call)).lead;
    const shown = leadLine(lead);
    if (ctx.confirm) {
      const yes = await ctx.confirm(`Delete ${shown}? This cannot be undone.`).catch(() => false);
      if (!yes) {
        return {
          data: { deleted: false, lead },
          summary: `Not deleted: deleting ${shown} was not confirmed (declined, cancelled or unanswered). Nothing was changed.`,
        };
      }
    } else if (args.confirm_token === undefined) {
      const { token, expires_at } = issueToken(ctx.moco, subject(lead));
      return {
        data: { deleted: false, lead, confirm_token: token, expires_at },
        summary:
          `Not deleted yet: ${shown}. Show this to the human; if they agree, call delete_lead with id ${lead.id} ` +
          `and confirm_token before ${expires_at}.`,
      };
    } else {
      // Checked and spent in one step (no await between): of two calls at once, here or on another
      // instance sharing the store, only the first deletes.
      const check = checkToken(ctx.moco, subject(lead), args.confirm_token);
      const reason = check.ok ? await spendToken(args.confirm_token, ctx) : check.reason;
      if (reason !== "spent") {
        throw new InputError(
          `Nothing was deleted: ${REFUSED[reason](lead.id, check.ok ? undefined : check.expiredAt)}`,
          { confirm_token: [reason] },
          reason === "unrecorded"
            ? `Call delete_lead again with id ${lead.id} and the same confirm_token.`
            : `Call delete_lead with id ${lead.id} alone for a new preview, show it to the human, then call again with its confirm_token.`,
        );
      }
    }
    let how = "";
    try {
      await deleteLead(ctx.moco, args.id, ctx.call);
    } catch (error) {
      // A 404 on a retry: MOCO confirms the lead is gone; the first attempt's answer was lost.
      if (!(error instanceof MocoError && error.kind === "not_found" && error.attempts > 1)) {
        // MOCO refused for sure: the lead is as previewed, so a retry may use the same token.
        const refused = error instanceof MocoError && !error.mayHaveSucceeded;
        if (refused && args.confirm_token !== undefined) await giveBackToken(args.confirm_token, ctx);
        throw error;
      }
      how = ": the DELETE's answer was lost, and MOCO answered its retry that the lead does not exist";
    }
    await forget(ctx, args.id);
    return { data: { deleted: true, lead }, summary: `Deleted ${shown}${how}.` };
  },
});
