// Calendar helpers on plain "YYYY-MM-DD" strings. Everything is UTC so that a sandbox started with the
// same `today` produces the same data on every machine, whatever its time zone.

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar day in strict YYYY-MM-DD form ("2025-02-30" is not one). */
export function isValidDate(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().slice(0, 10) === value;
}

export function dateToMs(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

export function msToDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return msToDate(dateToMs(date) + days * DAY_MS);
}

export function todayUtc(): string {
  return msToDate(Date.now());
}

export function isFirstOfMonth(date: string): boolean {
  return date.endsWith("-01");
}

export function isLastOfMonth(date: string): boolean {
  return addDays(date, 1).endsWith("-01");
}

/** First day of the month `months` months after the month of `date` (negative goes back). */
export function monthStart(date: string, months: number): string {
  const d = new Date(dateToMs(date));
  return msToDate(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
}

/** Last day of the month that contains `date`. */
export function monthEnd(date: string): string {
  return addDays(monthStart(date, 1), -1);
}

/**
 * Epoch ms of an ISO 8601 timestamp (NaN if none). A time without a zone is read as UTC, as MOCO's API
 * defines it, rather than in the sandbox machine's local zone (JavaScript's default).
 */
export function parseTimestamp(value: string): number {
  const hasTime = /\d\d:\d\d/.test(value);
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/i.test(value);
  return Date.parse(hasTime && !hasZone ? `${value}Z` : value);
}

/** MOCO's timestamp format: ISO 8601 UTC with seconds precision, e.g. "2022-04-17T06:50:42Z". */
export function toTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export { DAY_MS };
