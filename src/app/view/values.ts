/**
 * Reading untrusted JSON: the checks every part of the view shares, and the one way a value that
 * fails them is shown (the raw value, named as unreadable), so a fault is never hidden nor guessed.
 */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
export const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
export const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

/** YYYY-MM-DD naming a day that exists (2026-02-30 and 9999-99-99 do not). */
export function isCalendarDate(v: unknown): v is string {
  const m = typeof v === "string" ? DAY.exec(v) : null;
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  // Days in the month, in a year of the same kind (Date.UTC reads years 0–99 as 1900–1999).
  return day <= new Date(Date.UTC(leap(year) ? 2000 : 2001, month, 0)).getUTCDate();
}

const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** YYYY-MM naming a month that exists (2026-13 does not). */
export function isCalendarMonth(v: unknown): v is string {
  const m = typeof v === "string" ? MONTH.exec(v) : null;
  return m !== null && Number(m[1]) >= 1 && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

/** Looks like a month key (YYYY-MM), whether or not the month exists. */
export const monthShaped = (v: string) => MONTH.test(v);

/** A raw value as short text for the person: strings as they are, everything else as JSON. */
export function rawText(v: unknown, max = 120): string {
  let text: string;
  if (typeof v === "string") text = v;
  else if (typeof v === "number" && !Number.isFinite(v)) text = String(v);
  else {
    try {
      text = JSON.stringify(v) ?? String(v);
    } catch {
      text = String(v);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A field that holds what no reading of it makes sense of. `text` is what the person sees. */
export interface Issue {
  field: string;
  text: string;
}

export const unreadable = (field: string, label: string, raw: unknown): Issue => ({
  field,
  text:
    raw === undefined || raw === null || raw === ""
      ? `${label} missing`
      : `${label} unreadable: ${rawText(raw)}`,
});
