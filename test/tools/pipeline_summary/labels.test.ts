import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../../support/harness.js";
import { type Json, money, summary } from "./support.js";

/**
 * Every figure of pipeline_summary's text says what it is: a total or a weighted value, in which
 * currency; a group list sits under a headline naming the kinds of its figures, and holds only those.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-12-01" } });
});
afterAll(() => h.close());

const leads = (n: number) => `${n} lead${n === 1 ? "" : "s"}`;

describe("pipeline_summary text: every figure says what it is", () => {
  for (const args of [{}, { status: "pending", group_by: "user" }, { status: "won", group_by: "stage" }]) {
    it(`follows each amount with "total" or "weighted" (${JSON.stringify(args)})`, async () => {
      const { line } = await summary(h, args);
      const amounts = [...line.matchAll(/\b\d{1,3}(?:,\d{3})*(?:\.\d+)? (?:CHF|EUR|USD)\b(.{0,9})/g)];
      expect(amounts.length).toBeGreaterThan(0);
      for (const [amount, after] of amounts) expect(after, amount).toMatch(/^ (total|weighted)\b/);
    });
  }

  it('labels a currency\'s total and weighted value ("5,000 CHF total, 2,000 CHF weighted")', async () => {
    const { data, line } = await summary(h, { status: "pending" });
    for (const c of data.currencies as Json[]) {
      expect(line).toContain(
        `${c.currency}: ${leads(c.count)}, ${money(c.total, c.currency)} total, ${money(c.weighted, c.currency)} weighted`,
      );
    }
  });

  it("puts owners' figures under a headline naming their kinds, each figure labelled (weighted is weighted)", async () => {
    const { data, line } = await summary(h, { status: "pending", group_by: "user" });
    for (const c of data.currencies as Json[]) {
      expect(line).toContain(`${c.currency} by owner (leads, total, weighted): `);
      for (const g of (c.groups as Json[]).slice(0, 5)) {
        expect(line).toContain(
          `${g.key} ${leads(g.count)}, ${money(g.total, c.currency)} total, ${money(g.weighted, c.currency)} weighted`,
        );
      }
    }
  });

  it("won leads carry no weight: the headline names leads and total only, and no figure is called weighted", async () => {
    const { data, line } = await summary(h, { status: "won", group_by: "user" });
    for (const c of data.currencies as Json[]) {
      expect(line).toContain(`${c.currency} by owner (leads, total): `);
      const first = (c.groups as Json[])[0] as Json;
      expect(line).toContain(`${first.key} ${leads(first.count)}, ${money(first.total, c.currency)} total`);
    }
    expect(line).not.toMatch(/weighted/);
  });
});
