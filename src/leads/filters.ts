import { InputError } from "../errors.js";
import { MocoError } from "../moco/errors.js";
import type { LeadFilters } from "../moco/leads.js";
import { propertyDefinitions } from "../moco/reference.js";
import type { LEAD_STATUSES } from "../moco/schemas.js";
import type { LeadsContext } from "./context.js";
import { isYesNo, refuseValues, understand } from "./custom-values.js";
import { utcSecond } from "./dates.js";

/**
 * The one filter language of every tool that selects leads (list_leads, pipeline_summary,
 * update_leads), as values: what each filter means once parsed (the schema the model sees is in
 * replies/schemas/filters.ts). Some go to MOCO as they are; the rest are applied to what MOCO sends
 * (which makes the tool read every matching page).
 */
/** A day or a range of days once parsed (YYYY-MM-DD); an end left out is undefined. */
export type Range = { from: string | undefined; to: string | undefined };

export const DUE = ["overdue", "today", "this_week", "next_week", "this_month"] as const;
export const SORTS = ["updated_at", "created_at", "reminder_date", "closed_on", "money", "name"] as const;

/** The filters once parsed: names and ids as given, ranges as { from, to }. */
export interface LeadFilterArgs {
  status?: (typeof LEAD_STATUSES)[number] | "open";
  user?: string | number;
  stage?: string | number;
  query?: string;
  company_id?: number;
  /** false: leads without a company; true: with one. */
  has_company?: boolean;
  /** false: leads without a contact person; true: with one. */
  has_person?: boolean;
  tags?: string[];
  currency?: string;
  money_min?: number;
  money_max?: number;
  due?: (typeof DUE)[number];
  reminder?: Range;
  created?: Range;
  closed?: Range;
  service?: Range;
  updated_after?: string;
  updated_before?: string;
  ids?: number[];
  custom_properties?: Record<string, string | boolean | string[]>;
}

/** The filters MOCO applies itself; a selection with only these needs no scan. */
const PUSHED = ["tags", "company_id", "closed", "ids", "updated_after", "custom_properties"];

/** Whether the selection needs more than MOCO's own filters (or an order MOCO does not give). */
export const needsScan = (args: LeadFilterArgs & { sort?: string }) =>
  args.sort !== undefined ||
  args.status === "open" ||
  Object.entries(args).some(([k, v]) => v !== undefined && k !== "status" && !PUSHED.includes(k));

/** Custom field values once checked: option values in the account's spelling, and what was changed. */
export interface CustomChecked {
  args: LeadFilterArgs;
  /** How values were understood, e.g. 'Quelle "website" = "Website"'. */
  echo: string[];
  /** Fields without options filtered by text: a value no lead holds is typed differently, maybe. */
  freeText: string[];
}

/**
 * The custom fields of a filter checked against the account's definitions, before any lead is read.
 * MOCO answers an unknown field name, or a value none of a field's options spells exactly, with an
 * empty list, which would pass for "no matching leads". So a name must be a field, and a value is
 * read by the field's kind (custom-values.ts): an option up to case and accents, sent in its
 * spelling; a yes/no field's true or false, or a word for them; else the error says what the field
 * takes. A definition list cut short, or one the key may not read, cannot prove a
 * name unknown, so then the name is sent.
 */
export async function checkCustom(
  args: LeadFilterArgs,
  ctx: Pick<LeadsContext, "moco" | "call">,
): Promise<CustomChecked> {
  const props = args.custom_properties;
  const names = Object.keys(props ?? {});
  if (!props || names.length === 0) return { args, echo: [], freeText: [] };
  const known = await propertyDefinitions(ctx.moco, ctx.call).catch((error: unknown) => {
    if (error instanceof MocoError && error.kind === "forbidden") return undefined;
    throw error;
  });
  const real = known?.definitions.map((d) => d.name) ?? [];
  const unknown = names.filter((n) => !real.includes(n));
  if (known?.complete && unknown.length > 0) {
    throw new InputError(
      `Nothing was searched. custom_properties: ${unknown.map((n) => JSON.stringify(n)).join(", ")} ${unknown.length > 1 ? "are not custom fields" : "is not a custom field"} of leads (MOCO would answer with no leads at all); the fields are: ${real.join(", ") || "none"}`,
      { custom_properties: real },
      "Use one of the custom fields listed (or drop the filter) and call again.",
    );
  }
  const defs = new Map((known?.definitions ?? []).map((d) => [d.name, d]));
  const echo: string[] = [];
  const problems: Parameters<typeof refuseValues>[0] = [];
  const out: Record<string, string | boolean | string[]> = {};
  for (const [name, want] of Object.entries(props)) {
    const found = understand(name, defs.get(name), want, true);
    if (found.problem) problems.push([name, found.problem]);
    if (found.echo) echo.push(found.echo);
    out[name] = found.value;
  }
  refuseValues(problems, "Nothing was searched.");
  const freeText = names.filter((n) => {
    const def = defs.get(n);
    return def !== undefined && def.options.length === 0 && !isYesNo(def) && typeof out[n] === "string";
  });
  return { args: { ...args, custom_properties: out }, echo, freeText };
}

/**
 * The filters as MOCO takes them (timestamps in UTC to the second), one query per status asked for,
 * after checking custom fields and values (checkCustom).
 */
export async function mocoQueries(
  args: LeadFilterArgs,
  ctx: Pick<LeadsContext, "moco" | "call">,
): Promise<LeadFilters[]> {
  return queriesOf((await checkCustom(args, ctx)).args);
}

/** The filters as MOCO takes them, for filters already checked. */
export function queriesOf(args: LeadFilterArgs): LeadFilters[] {
  const base: LeadFilters = {
    tags: args.tags,
    company_id: args.company_id,
    closed_from: args.closed?.from,
    closed_to: args.closed?.to,
    ids: args.ids,
    updated_after: args.updated_after && utcSecond(args.updated_after),
    custom_properties: args.custom_properties,
  };
  // Follow-ups concern open leads; MOCO filters one status per request, so two scans beat one of everything.
  const statuses =
    args.status === "open" || (args.status === undefined && args.due !== undefined)
      ? ["pending", "potential"]
      : [args.status];
  return statuses.map((status) => ({ ...base, status }));
}
