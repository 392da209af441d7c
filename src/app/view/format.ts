import { isCalendarDate, isCalendarMonth } from "./values.js";

/**
 * Numbers and dates in the host's locale (de-CH: CHF 48'500, 8. Jan. 2027). One formatter per locale
 * and currency: building an Intl formatter costs far more than using one. No helper throws or prints
 * "-0", "∞" or "NaN": a value that rounds to zero is zero, a non-finite one reads "n/a (reason)", a
 * day or month that does not exist reads "date unreadable: …".
 */
export interface Formats {
  locale: string;
  money(amount: number, currency: string): string;
  /** A plain date YYYY-MM-DD, shown as the calendar day it names (no time zone shift). */
  date(day: string): string;
  /** A month YYYY-MM. */
  month(month: string): string;
  percent(probability: number): string;
  count(n: number): string;
  /** A short axis label: 25K. */
  compact(n: number): string;
}

function supported(locale: string | undefined): string {
  try {
    if (locale && Intl.NumberFormat.supportedLocalesOf([locale]).length > 0) return locale;
  } catch {
    // an invalid tag falls through to the default
  }
  return "en-US";
}

/** Why a number cannot be shown, or null when it can. */
export const notFinite = (n: number) =>
  Number.isNaN(n) ? "n/a (not a number)" : Number.isFinite(n) ? null : "n/a (too large to show)";

/**
 * The number as it will be shown with `digits` decimals: rounded half away from zero (as Intl does),
 * and a zero that was negative (-0, -0.004 shown whole) made plain zero, so no "-0" is ever printed.
 */
export function shown(n: number, digits: number): number {
  const scale = 10 ** digits;
  // Beyond 2^53 a float holds no fraction to round (and n × scale could overflow to Infinity).
  if (!Number.isFinite(n) || Math.abs(n) * scale >= Number.MAX_SAFE_INTEGER) return n;
  const rounded = (Math.sign(n) * Math.round(Math.abs(n) * scale)) / scale;
  return rounded === 0 ? 0 : rounded;
}

export function formats(wanted: string | undefined): Formats {
  const locale = supported(wanted);
  const number = (options: Intl.NumberFormatOptions) => new Intl.NumberFormat(locale, options);
  const money = new Map<string, Intl.NumberFormat>();
  // Whole amounts without cents (48'500), others with both digits (8'800.50), never one.
  const moneyFormat = (currency: string, cents: boolean) => {
    const key = `${currency}/${cents}`;
    let f = money.get(key);
    if (!f) {
      const digits = { minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: cents ? 2 : 0 };
      try {
        f = number({ style: "currency", currency, ...digits });
      } catch {
        f = number(digits); // not an ISO currency code
      }
      money.set(key, f);
    }
    return f;
  };
  const day = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" });
  const month = new Intl.DateTimeFormat(locale, { month: "short", year: "numeric", timeZone: "UTC" });
  const percent = number({ style: "percent", maximumFractionDigits: 1 });
  const count = number({ maximumFractionDigits: 3 });
  const compact = number({ notation: "compact", maximumFractionDigits: 1 });
  return {
    locale,
    money: (amount, currency) => {
      const bad = notFinite(amount);
      if (bad) return bad;
      const value = shown(amount, 2);
      const f = moneyFormat(currency, value % 1 !== 0);
      const text = f.format(value);
      return f.resolvedOptions().style === "currency" ? text : `${text} ${currency}`;
    },
    date: (d) => (isCalendarDate(d) ? day.format(new Date(`${d}T00:00:00Z`)) : `date unreadable: ${d}`),
    month: (m) =>
      isCalendarMonth(m) ? month.format(new Date(`${m}-01T00:00:00Z`)) : `month unreadable: ${m}`,
    percent: (p) => notFinite(p) ?? percent.format(shown(p, 1) / 100),
    count: (n) => notFinite(n) ?? count.format(shown(n, 3)),
    compact: (n) => notFinite(n) ?? compact.format(Math.abs(n) < 1000 ? shown(n, 1) : n),
  };
}

/** Today in the host's time zone, YYYY-MM-DD: the sales person's day, as for follow-ups. */
export function today(timeZone: string | undefined, now = new Date()): string {
  try {
    return new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    }).format(now);
  } catch {
    return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" }).format(
      now,
    );
  }
}
