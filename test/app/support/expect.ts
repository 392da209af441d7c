import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** What the tools returned, read loosely (the SDK client has checked them against the output schemas). */
// biome-ignore lint/suspicious/noExplicitAny: tests walk untyped JSON
export type Json = Record<string, any>;
export const sc = (r: CallToolResult) => r.structuredContent as Json;

/**
 * Money as a person should read it, written independently of the view's code: whole amounts without
 * cents, others with two digits, in the given locale.
 */
export function money(amount: number, currency: string, locale = "en-US"): string {
  const cents = Math.round(amount * 100) % 100 !== 0;
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: cents ? 2 : 0,
    maximumFractionDigits: cents ? 2 : 0,
  }).format(amount);
}

/** Per stage name, per currency: count, value and weighted value (pending × probability) of compact leads. */
export function expectedColumns(leads: Json[]) {
  const out = new Map<
    string,
    { count: number; currencies: Map<string, { total: number; weighted: number }> }
  >();
  for (const l of leads) {
    const stage = l.stage ?? "No stage";
    const col = out.get(stage) ?? { count: 0, currencies: new Map() };
    col.count++;
    const c = col.currencies.get(l.currency) ?? { total: 0, weighted: 0 };
    c.total += l.money;
    if (l.status === "pending") c.weighted += (l.money * (l.probability ?? 0)) / 100;
    col.currencies.set(l.currency, c);
    out.set(stage, col);
  }
  return out;
}

export const round2 = (n: number) => Math.round(n * 100) / 100;

/** The first lines of an error result: the message a person should see (the last line is JSON). */
export const errorMessage = (r: CallToolResult) =>
  r.content
    .map((c) => (c.type === "text" ? c.text : ""))
    .join("\n")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith('{"error"'))
    .join(" ")
    .trim();
