// List filters. The global ones (ids, updated_after, custom_properties[…]) apply to every list endpoint;
// filterDeals adds the /deals specific ones. A filter problem MOCO reports comes back as a Reply.

import { isValidDate, parseTimestamp } from "./dates.js";
import { json, type Reply } from "./http-util.js";
import type { CustomPropertyDefinition, CustomValue, DealRecord, DealStatus } from "./types.js";
import { DEAL_STATUSES } from "./types.js";

interface Listable {
  id: number;
  updated_at: string;
  custom_properties?: Record<string, CustomValue>;
}

/** `custom_properties[Name]=V` and `custom_properties[Name][]=V` query keys. */
const CUSTOM_KEY = /^custom_properties\[([^\]]+)\](\[\])?$/;

export function globalFilter<T extends Listable>(
  items: readonly T[],
  query: URLSearchParams,
  definitions: readonly CustomPropertyDefinition[] = [],
): T[] | Reply {
  let result = [...items];
  const ids = query.get("ids");
  if (ids !== null && ids.trim() !== "") {
    const wanted = new Set(ids.split(",").map((s) => Number(s.trim())));
    result = result.filter((item) => wanted.has(item.id));
  }
  const updatedAfter = query.get("updated_after");
  if (updatedAfter !== null && updatedAfter !== "") {
    const after = parseTimestamp(updatedAfter);
    if (Number.isNaN(after))
      return json(400, { message: `'${updatedAfter}' is not a valid updated_after timestamp` });
    // Strictly after: a client that passes the newest updated_at it has seen gets only what is newer.
    result = result.filter((item) => Date.parse(item.updated_at) > after);
  }
  const wanted = customPropertyFilters(query);
  for (const [name, values] of wanted) {
    const def = definitions.find((d) => d.name === name);
    // MOCO answers an unknown field name with an empty list, not with an error.
    if (!def) return [];
    const expected = def.kind === "Boolean" ? values.map(booleanValue) : values;
    result = result.filter((item) => {
      const stored = item.custom_properties?.[name];
      const have = stored === undefined ? [] : Array.isArray(stored) ? stored : [stored];
      return expected.every((v) => have.includes(v));
    });
  }
  return result;
}

function customPropertyFilters(query: URLSearchParams): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  for (const [key, value] of query) {
    const name = CUSTOM_KEY.exec(key)?.[1];
    if (name === undefined) continue;
    filters.set(name, [...(filters.get(name) ?? []), value]);
  }
  return filters;
}

function booleanValue(value: string): string {
  return value === "true" || value === "1" ? "1" : value === "false" || value === "0" ? "0" : value;
}

/**
 * GET /deals filters: status, tags, company_id, closed_from, closed_to, plus the global ones.
 * `tags` matches a lead carrying ANY of the comma-separated names (case-insensitively): MOCO does not
 * document any-vs-all, and "any" is the answer that never silently hides leads.
 */
export function filterDeals(
  deals: readonly DealRecord[],
  query: URLSearchParams,
  definitions: readonly CustomPropertyDefinition[],
): DealRecord[] | Reply {
  const base = globalFilter(deals, query, definitions);
  if (!Array.isArray(base)) return base;
  let result = base;
  const status = query.get("status");
  if (status !== null && status !== "") {
    if (!DEAL_STATUSES.includes(status as DealStatus))
      return json(400, { error: `'${status}' is not a valid status` });
    result = result.filter((d) => d.status === status);
  }
  const tags = (query.get("tags") ?? "")
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "");
  if (tags.length > 0) result = result.filter((d) => d.tags.some((t) => tags.includes(t.toLowerCase())));
  const companyId = query.get("company_id");
  if (companyId !== null && companyId !== "")
    result = result.filter((d) => d.company_id === Number(companyId));
  for (const [param, keep] of [
    ["closed_from", (closed: string, limit: string) => closed >= limit],
    ["closed_to", (closed: string, limit: string) => closed <= limit],
  ] as const) {
    const limit = query.get(param);
    if (limit === null || limit === "") continue;
    if (!isValidDate(limit)) return json(400, { message: `'${limit}' is not a valid date for ${param}` });
    // Leads that were never closed have no closed_on and drop out of any closed range.
    result = result.filter((d) => d.closed_on !== "" && keep(d.closed_on, limit));
  }
  return result.sort((a, b) => a.id - b.id);
}
