import { type Issue, isCalendarMonth, isObject, monthShaped, num, rawText, unreadable } from "./values.js";

/**
 * The forecast of a pipeline_summary result grouped by month, read defensively: per currency, the
 * months as the server computed them (the view adds nothing up itself). A group whose month key or
 * figures are unreadable is kept, with its issues, so the view can show it as such.
 */
export interface MonthPoint {
  /** The group's key as sent (YYYY-MM, "(no date)", or what came instead). */
  month: string;
  count: number | null;
  total: number | null;
  weighted: number | null;
  issues: Issue[];
}

export interface CurrencyForecast {
  currency: string;
  /** Groups of a month that exists, in order. */
  months: MonthPoint[];
  /** Groups whose key names no month (2026-13, a number…). */
  unreadable: MonthPoint[];
  /** The "(no date)" group: leads without a date on the month basis. */
  undated: MonthPoint | null;
}

const isUndated = (key: unknown) => typeof key === "string" && key.startsWith("(");

function point(v: unknown): MonthPoint {
  const g = isObject(v) ? v : {};
  const issues: Issue[] = [];
  if (!isObject(v)) issues.push(unreadable("group", "group", v));
  const figure = (field: "count" | "total" | "weighted") => {
    const n = num(g[field]);
    if (n === null && isObject(v)) issues.push(unreadable(field, field, g[field]));
    return n;
  };
  const key = typeof g.key === "string" ? g.key : rawText(g.key);
  if (!isUndated(g.key) && !isCalendarMonth(g.key)) issues.unshift(unreadable("month", "month", g.key));
  return { month: key, count: figure("count"), total: figure("total"), weighted: figure("weighted"), issues };
}

/** Grouped by month: some key looks like a month, or every key is the undated group (or none). */
function byMonth(currencies: unknown[]): boolean {
  const keys = currencies.flatMap((c) =>
    isObject(c) && Array.isArray(c.groups) ? c.groups.map((g) => (isObject(g) ? g.key : undefined)) : [],
  );
  return keys.some((k) => typeof k === "string" && monthShaped(k)) || keys.every(isUndated);
}

/** null when the result is not a pipeline_summary grouped by month. */
export function forecastOf(structured: unknown): CurrencyForecast[] | null {
  if (!isObject(structured) || !Array.isArray(structured.currencies)) return null;
  if (!structured.currencies.every((c) => isObject(c) && Array.isArray(c.groups))) return null;
  if (!byMonth(structured.currencies)) return null;
  return structured.currencies.map((c) => {
    const { currency, groups } = c as { currency: unknown; groups: unknown[] };
    const points = groups.map(point);
    const undated = points.find((p) => isUndated(p.month) && p.issues.every((i) => i.field !== "month"));
    return {
      currency: typeof currency === "string" ? currency : unreadable("currency", "currency", currency).text,
      months: points.filter((p) => isCalendarMonth(p.month)).sort((a, b) => a.month.localeCompare(b.month)),
      unreadable: points.filter((p) => p !== undated && !isCalendarMonth(p.month)),
      undated: undated ?? null,
    };
  });
}
