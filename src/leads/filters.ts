import { z } from "zod";
import { InputError } from "../errors.js";
import { MocoError } from "../moco/errors.js";
import { propertyDefinitions } from "../moco/reference.js";
import type { LeadsContext } from "./context.js";
import { utcSecond } from "./dates.js";
import { customProperties, date, id, status, tags, timestamp } from "./fields.js";

/**
 * MOCO's own filters for GET /deals, shared by every tool that lists leads. MOCO joins tag names with
 * commas and custom field names go inside `custom_properties[…]`, so those separators are refused.
 */
export const mocoFilters = {
  status: status.optional().describe("Lead status; pending = open, in the pipeline"),
  tags: tags
    .refine((ts) => ts.every((t) => !t.includes(",")), "a tag filter cannot contain a comma")
    .optional()
    .describe('Only leads with these tags, e.g. ["Wichtig"]'),
  company_id: id("Company").optional().describe("Only leads of this company (id), e.g. 4711"),
  closed_from: date("Closed on or after").optional(),
  closed_to: date("Closed on or before").optional(),
  ids: z
    .array(z.number().int().positive())
    .min(1)
    .max(100)
    .optional()
    .describe("Only these lead ids, e.g. [4711, 4712]"),
  updated_after: timestamp
    .optional()
    .describe("Only leads created or updated after this time, e.g. 2026-01-31T14:30:00Z"),
  custom_properties: customProperties
    .refine(
      (props) => Object.keys(props).every((name) => !/[[\]]/.test(name)),
      "a custom field name in a filter cannot contain [ or ]",
    )
    .optional()
    .describe('Exact match on custom fields, e.g. {"Quelle": "Website"}'),
};

/**
 * The same filters for other tools, as one object argument: validated exactly as list_leads validates
 * them, while tools/list spells them out once (every byte of it is paid in every conversation).
 */
export const filtersArg = z
  .record(z.string(), z.unknown())
  .pipe(z.strictObject(mocoFilters))
  .optional()
  .describe('MOCO\'s filters as list_leads takes them, e.g. {"status":"pending","tags":["Wichtig"]}');

/**
 * The filters as MOCO wants them (timestamps in UTC), after checking custom field names against the
 * account's definitions: MOCO answers an unknown name with an empty list, which would pass for "no
 * matching leads". A definition list cut short, or one the key may not read, cannot prove a name
 * unknown, so then the name is sent.
 */
export async function pushDown<
  T extends { updated_after?: string | undefined; custom_properties?: Record<string, unknown> | undefined },
>(args: T, ctx: Pick<LeadsContext, "moco" | "call">) {
  const names = Object.keys(args.custom_properties ?? {});
  if (names.length > 0) {
    const known = await propertyDefinitions(ctx.moco, ctx.call).catch((error: unknown) => {
      if (error instanceof MocoError && error.kind === "forbidden") return undefined;
      throw error;
    });
    const real = known?.definitions.map((d) => d.name) ?? [];
    const unknown = names.filter((n) => !real.includes(n));
    if (known?.complete && unknown.length > 0) {
      throw new InputError(
        `Nothing was searched. custom_properties: ${unknown.map((n) => `"${n}"`).join(", ")} ${unknown.length > 1 ? "are not custom fields" : "is not a custom field"} of leads (MOCO would answer with no leads at all); the fields are: ${real.join(", ") || "none"}`,
        { custom_properties: real },
        "Use one of the custom fields listed (or drop the filter) and call again.",
      );
    }
  }
  return { ...args, updated_after: args.updated_after && utcSecond(args.updated_after) };
}
