import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../../support/harness.js";
import { type Json, money, summary, taker, users } from "./support.js";

/**
 * Counts that do not depend on currency (leads per owner, overdue per owner, per status and stage)
 * are also given over all currencies; money is never added across currencies, and the text says so.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-12-01" } });
});
afterAll(() => h.close());
const take = taker(() => h);

/** Overdue pending leads for an owner: reminders before today (2026-12-01). */
function overdue(deals: { user_id: number; status: string; reminder_date: string }[], owner: number) {
  for (const d of deals) {
    d.user_id = owner;
    d.status = "pending";
    d.reminder_date = "2026-11-10";
  }
}

describe("pipeline_summary: counts over all currencies", () => {
  it("'who has the most overdue leads?': ranks owners over all currencies, not by the largest currency's count", async () => {
    const [anna, nicola] = users(h);
    if (!anna || !nicola) throw new Error("two users expected in the seed");
    // Anna leads in CHF (12); Nicola has more over all (10 CHF + 5 EUR = 15).
    const annas = take(12);
    const nicolas = [...take(10), ...take(5, "EUR")];
    overdue(annas, anna.id);
    overdue(nicolas, nicola.id);
    const ids = [...annas, ...nicolas].map((d) => d.id);
    const { data, line } = await summary(h, { ids, due: "overdue", group_by: "user" });
    expect(line).toContain(
      `Most overdue leads by owner, all currencies: ${nicola.name} 15 (CHF 10, EUR 5), ${anna.name} 12 (CHF 12)`,
    );
    // The first owner the text names is the one with the most overdue leads.
    expect(line.indexOf(nicola.name)).toBeLessThan(line.indexOf(anna.name));
    expect(data.all_currencies.groups).toEqual([
      { key: nicola.name, count: 15, by_currency: { CHF: 10, EUR: 5 } },
      { key: anna.name, count: 12, by_currency: { CHF: 12 } },
    ]);
  });

  it("gives the lead and status counts over all currencies, with each currency's part", async () => {
    const deals = [...take(3), ...take(2, "EUR"), ...take(1, "USD")];
    deals.forEach((d, i) => {
      d.status = i % 2 === 0 ? "pending" : "won";
    });
    const { data, line } = await summary(h, { ids: deals.map((d) => d.id) });
    expect(line).toContain(
      "6 leads (CHF 3, EUR 2, USD 1); by status: pending 3 (CHF 2, EUR 1), won 3 (CHF 1, EUR 1, USD 1)",
    );
    expect(data.all_currencies).toMatchObject({
      count: 6,
      by_currency: { CHF: 3, EUR: 2, USD: 1 },
      by_status: { pending: { count: 3, by_currency: { CHF: 2, EUR: 1 } }, won: { count: 3 } },
    });
  });

  it("says amounts are never added across currencies, and adds none", async () => {
    const deals = [...take(2), ...take(2, "EUR")];
    for (const d of deals) d.money = 1000;
    const { line } = await summary(h, { ids: deals.map((d) => d.id) });
    expect(line).toContain("counts only (amounts are never added across currencies)");
    expect(line).toContain(money(2000, "CHF"));
    expect(line).not.toMatch(/\b4,000\b/);
  });

  it("one currency: still ranks owners by their count, whatever their totals", async () => {
    const [anna, nicola] = users(h);
    if (!anna || !nicola) throw new Error("two users expected in the seed");
    const few = take(2);
    const many = take(3);
    overdue(few, anna.id);
    overdue(many, nicola.id);
    for (const d of few) d.money = 100_000;
    for (const d of many) d.money = 1000;
    const { data, line } = await summary(h, { ids: [...few, ...many].map((d) => d.id), group_by: "user" });
    expect((data.currencies as Json[])[0]?.groups.map((g: Json) => g.key)).toEqual([anna.name, nicola.name]);
    expect(line).toContain(`Most leads by owner: ${nicola.name} 3, ${anna.name} 2`);
  });
});
