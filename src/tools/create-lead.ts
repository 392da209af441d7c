import { z } from "zod";
import { remember } from "../leads/context.js";
import { utcSecond } from "../leads/dates.js";
import { refuseDuplicates } from "../leads/duplicates.js";
import { prepareWrite } from "../leads/resolve.js";
import { warningsFor } from "../leads/verify.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { createLead } from "../moco/leads.js";
import { capLead } from "../replies/cap.js";
import { leadLine } from "../replies/lines.js";
import { notWritten } from "../replies/schemas/changes.js";
import { checkServicePeriod, noIdAndName, refNames, writableFields } from "../replies/schemas/fields.js";
import { leadOut, warningsOut } from "../replies/schemas/output.js";

const { name, currency, money, reminder_date } = writableFields;
// Everything optional, then the four MOCO always needs put back as they are (user and stage may
// come by id or by name, checked below).
const fields = z
  .object({ ...writableFields, ...refNames })
  .partial()
  .extend({
    name,
    currency,
    money,
    reminder_date,
    allow_duplicate: z.boolean().optional().describe("true: skip the similar-name check"),
  });

const withoutFlag = <T extends { allow_duplicate?: boolean }>({ allow_duplicate: _, ...rest }: T) => rest;

export const createLeadTool = defineTool({
  name: "create_lead",
  title: "Create a lead",
  description:
    "Create a lead (deal); also needs user_id or user, and deal_category_id or deal_category (names: get_lead_options). Not idempotent. Refused, naming them, if an open lead of the company (or, without one, without a company) has a similar name. Warns where MOCO stored something else.",
  input: strictInput(fields.shape, (key) =>
    key === "id"
      ? "id: MOCO assigns a new lead's id; to change an existing lead use update_lead"
      : notWritten(key),
  )
    .superRefine(checkServicePeriod)
    .superRefine(noIdAndName)
    .superRefine((v, ctx) => {
      if (v.user_id === undefined && v.user === undefined) {
        ctx.addIssue({ code: "custom", path: ["user_id"], message: "give user_id or user" });
      }
      if (v.deal_category_id === undefined && v.deal_category === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["deal_category_id"],
          message: "give deal_category_id or deal_category",
        });
      }
    }),
  output: z.object({ lead: leadOut, warnings: warningsOut }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  uncertain(_args, startedAt) {
    const since = utcSecond(startedAt.getTime() - 60_000);
    return (
      `The lead MAY HAVE BEEN CREATED even though MOCO's answer did not confirm it. Do not simply retry: first call list_leads with updated_after="${since}" ` +
      "and look for it; create it again only if it is not there."
    );
  },
  async run(args, ctx) {
    // Before anything is written; beside the name lookups when the company comes by id, after them by name.
    const check = (companyId: unknown) =>
      args.allow_duplicate
        ? Promise.resolve()
        : refuseDuplicates(args.name, companyId as number | undefined, ctx);
    const early = args.company_id === undefined ? undefined : check(args.company_id);
    // A refusal of the early check must not be left unhandled while the lookups run.
    early?.catch(() => {});
    const { body, notes, ...known } = await prepareWrite(withoutFlag(args), ctx);
    await (early ?? check(body.company_id));
    const lead = await createLead(ctx.moco, body, ctx.call);
    await remember(ctx, lead);
    const verified = warningsFor({ asked: body, after: lead, before: null, ...known });
    const warnings = [...notes, ...verified];
    const note = warnings.length > 0 ? ` WARNINGS: ${warnings.join("; ")}.` : "";
    return { data: { lead: capLead(lead).lead, warnings }, summary: `Created ${leadLine(lead)}.${note}` };
  },
});
