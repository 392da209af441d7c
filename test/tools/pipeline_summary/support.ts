import { expect } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, type Json, sc, text } from "../../support/harness.js";

/** pipeline_summary's reply: its structured data and its one-line text. */
export async function summary(h: Harness, args: Record<string, unknown>) {
  const r = await h.call("pipeline_summary", args);
  expect(r.isError, text(r)).toBeFalsy();
  return { data: sc(r), line: text(r).split("\n")[0] as string };
}

/**
 * Leads of one currency no other test of the file has taken, in id order: each test reshapes its own
 * (owner, status, reminder) and selects them by `ids`, so tests pass alone and in any order.
 */
export function taker(h: () => Harness) {
  const taken = new Set<number>();
  return (n: number, currency = "CHF"): DealRecord[] => {
    const deals = h()
      .sandbox.store.deals.filter((d) => d.currency === currency && !taken.has(d.id))
      .slice(0, n);
    if (deals.length < n) throw new Error(`fewer than ${n} more ${currency} leads in the seed`);
    for (const d of deals) taken.add(d.id);
    return deals;
  };
}

/** The sandbox's users with their names as the replies write them. */
export const users = (h: Harness) =>
  h.sandbox.store.users.map((u) => ({ id: u.id, name: `${u.firstname} ${u.lastname}` }));

/** Money as the replies write it: "1,234.5 CHF". */
export const money = (amount: number, currency: string) =>
  `${new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(amount)} ${currency}`;

export type { Json };
