/**
 * The filters of the call that opened the view, split the way the tools take them: the filters both
 * tools share, list_leads' order (the board only) and pipeline_summary's month window (the forecast
 * only). Editing them re-calls both tools.
 */
export type Tool = "list_leads" | "pipeline_summary";
type Args = Record<string, unknown>;

/** The one filter language list_leads and pipeline_summary share (src/leads/filters.ts). */
export const MOCO_FILTERS = [
  "status",
  "user",
  "stage",
  "query",
  "company_id",
  "tags",
  "currency",
  "money_min",
  "money_max",
  "due",
  "reminder",
  "created",
  "closed",
  "service",
  "updated_after",
  "updated_before",
  "ids",
  "custom_properties",
  "has_company",
  "has_person",
] as const;
/** list_leads' own: the order of the board's cards. */
export const SEARCH_FIELDS = ["sort", "order"] as const;
export const FORECAST_FIELDS = ["month_basis", "from", "to"] as const;

export interface Filters {
  moco: Args;
  search: Args;
  forecast: Args;
}

const isObject = (v: unknown): v is Args => typeof v === "object" && v !== null && !Array.isArray(v);
const pick = (from: Args, keys: readonly string[]) =>
  Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));

export function filtersOf(tool: Tool | null, args: Args): Filters {
  return {
    moco: pick(args, MOCO_FILTERS),
    search: tool === "pipeline_summary" ? {} : pick(args, SEARCH_FIELDS),
    forecast: tool === "pipeline_summary" ? pick(args, FORECAST_FIELDS) : {},
  };
}

export const PAGE_SIZE = 100;

/** The board's list_leads call: compact leads, the largest page MOCO serves. */
export const listArgs = (f: Filters, page: number): Args => ({
  ...f.moco,
  ...f.search,
  page,
  per_page: PAGE_SIZE,
});

/** The forecast's pipeline_summary call: the same MOCO filters, grouped by month. */
export const summaryArgs = (f: Filters): Args => ({
  ...f.moco,
  ...f.forecast,
  group_by: "month",
  top: 0,
});

/** The filters the form does not edit, shown as removable chips. */
export function otherFilters(f: Filters): [group: keyof Filters, key: string, value: unknown][] {
  const edited = new Set(["status", "tags", "query", "month_basis", "from", "to"]);
  return (Object.keys(f) as (keyof Filters)[]).flatMap((group) =>
    Object.entries(f[group])
      .filter(([key]) => !edited.has(key))
      .map(([key, value]): [keyof Filters, string, unknown] => [group, key, value]),
  );
}

const set = (args: Args, key: string, value: unknown) => {
  const out = { ...args };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
};

/** The form's values applied: blank means "no filter". */
export function withForm(
  f: Filters,
  form: { status: string; tags: string; query: string; monthBasis: string; from: string; to: string },
): Filters {
  const tags = form.tags
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  let moco = set(f.moco, "status", form.status || undefined);
  moco = set(moco, "tags", tags.length > 0 ? tags : undefined);
  // query is one of the shared filters: the board and the forecast search the same leads.
  moco = set(moco, "query", form.query.trim() || undefined);
  const search = f.search;
  let forecast = set(f.forecast, "month_basis", form.monthBasis || undefined);
  forecast = set(forecast, "from", form.from || undefined);
  forecast = set(forecast, "to", form.to || undefined);
  return { moco, search, forecast };
}

export const without = (f: Filters, group: keyof Filters, key: string): Filters => ({
  ...f,
  [group]: set(f[group], key, undefined),
});

export const show = (value: unknown) =>
  Array.isArray(value) ? value.join(", ") : isObject(value) ? JSON.stringify(value) : String(value);
