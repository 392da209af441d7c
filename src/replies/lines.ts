import { quoted } from "../text.js";

/** "1 lead", "2 leads": a count with its noun (plural by -s: lead, change, note). */
export const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

// One formatter for every call: toLocaleString with options builds a new one each time (~20 µs).
// Built on first use: the first Intl object of a process loads ICU's data (~8 ms of a start).
let amountFormat: Intl.NumberFormat | undefined;

export function money(amount: number, currency: string): string {
  amountFormat ??= new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  return `${amountFormat.format(amount)} ${currency}`;
}

/** A lead in one of our sentences; its name is MOCO's text, so it is quoted (see quoted()). */
export const leadLine = (lead: {
  id: number;
  name: string;
  status: string;
  money: number;
  currency: string;
}) => `lead ${lead.id} ${quoted(lead.name)} (${lead.status}, ${money(lead.money, lead.currency)})`;
