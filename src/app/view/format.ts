/**
 * Numbers and dates in the host's locale (de-CH: CHF 48'500, 8. Jan. 2027). One formatter per locale
 * and currency: building an Intl formatter costs far more than using one.
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
}

function supported(locale: string | undefined): string {
  try {
    if (locale && Intl.NumberFormat.supportedLocalesOf([locale]).length > 0) return locale;
  } catch {
    // an invalid tag falls through to the default
  }
  return "en-US";
}

export function formats(wanted: string | undefined): Formats {
  const locale = supported(wanted);
  const money = new Map<string, Intl.NumberFormat>();
  // Whole amounts without cents (48'500), others with both digits (8'800.50), never one.
  const moneyFormat = (currency: string, cents: boolean) => {
    const key = `${currency}/${cents}`;
    let f = money.get(key);
    if (!f) {
      const digits = { minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: cents ? 2 : 0 };
      try {
        f = new Intl.NumberFormat(locale, { style: "currency", currency, ...digits });
      } catch {
        f = new Intl.NumberFormat(locale, digits); // not an ISO currency code
      }
      money.set(key, f);
    }
    return f;
  };
  const day = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" });
  const month = new Intl.DateTimeFormat(locale, { month: "short", year: "numeric", timeZone: "UTC" });
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  const count = new Intl.NumberFormat(locale);
  return {
    locale,
    money: (amount, currency) => {
      const f = moneyFormat(currency, Math.round(amount * 100) % 100 !== 0);
      const text = f.format(amount);
      return f.resolvedOptions().style === "currency" ? text : `${text} ${currency}`;
    },
    date: (d) => day.format(new Date(`${d}T00:00:00Z`)),
    month: (m) => month.format(new Date(`${m}-01T00:00:00Z`)),
    percent: (p) => percent.format(p / 100),
    count: (n) => count.format(n),
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
