/**
 * Calendar arithmetic on plain dates (YYYY-MM-DD) and timestamps, in one place. Plain dates are
 * calendar days with no time zone: computed in UTC so that no local offset can shift a day.
 */
const DAY_MS = 86_400_000;

const parts = (date: string) => date.split("-").map(Number) as [number, number, number];

function utc(y: number, m: number, d: number): Date {
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(y, m - 1, d);
  return date;
}

/** Whether YYYY-MM-DD names a day that exists (2026-02-30 does not; 0042-03-01 does). */
export function isRealDate(value: string): boolean {
  const [y, m, d] = parts(value);
  const date = utc(y, m, d);
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export const lastDayOfMonth = (value: string) => {
  const [y, m] = parts(value);
  return utc(y, m + 1, 0).getUTCDate();
};

const dayMs = (d: string) => {
  const [y, m, day] = parts(d);
  return utc(y, m, day).getTime();
};
const plain = (ms: number) => {
  const date = new Date(ms);
  const y = String(date.getUTCFullYear()).padStart(4, "0");
  return `${y}-${String(date.getUTCMonth() + 1).padStart(2, "0")}-${String(date.getUTCDate()).padStart(2, "0")}`;
};

export const addDays = (d: string, n: number) => plain(dayMs(d) + n * DAY_MS);

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export const daysBetween = (from: string, to: string) => Math.round((dayMs(to) - dayMs(from)) / DAY_MS);

/** The server's local calendar day: the sales person's "today" when the server runs on their machine. */
export function localToday(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The Monday and Sunday of the ISO week `date` falls in. */
export function weekOf(date: string): { monday: string; sunday: string } {
  const weekday = (new Date(dayMs(date)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const monday = addDays(date, -weekday);
  return { monday, sunday: addDays(monday, 6) };
}

export const monthOf = (date: string) => date.slice(0, 7);

/** Every month YYYY-MM from `from`'s month through `to` (a month), at most 600. */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let [y, m] = parts(`${monthOf(from)}-01`);
  for (let key = monthOf(from); key <= to && months.length < 600; ) {
    months.push(key);
    m += 1;
    if (m > 12) [y, m] = [y + 1, 1];
    key = `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}`;
  }
  return months;
}

/** A timestamp in UTC to the second, as MOCO writes them: 2026-01-31T14:30:00Z. */
export const utcSecond = (value: string | Date | number) =>
  new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The local calendar day of a timestamp, on the same clock as localToday(). */
export const localDay = (timestamp: string) => localToday(new Date(timestamp));
