import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../../support/harness.js";
import { money, summary, taker } from "./support.js";

/**
 * pipeline_summary's text with no status filter counts every status: it says how many of the leads
 * are open and what they are worth, so a total of won, lost and dropped leads never reads as pipeline.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-12-01" } });
});
afterAll(() => h.close());
const take = taker(() => h);

describe("pipeline_summary text: which statuses the figures include", () => {
  it("without a status filter, gives the open part and the closed count, and group figures say all statuses", async () => {
    const deals = take(7);
    const statuses = ["pending", "pending", "pending", "potential", "won", "lost", "dropped"] as const;
    deals.forEach((d, i) => {
      d.status = statuses[i] as (typeof statuses)[number];
      d.money = 1000 * (i + 1);
      d.user_id = deals[0]?.user_id as number;
    });
    const { line } = await summary(h, { ids: deals.map((d) => d.id), currency: "CHF", group_by: "user" });
    expect(line).toContain("CHF: 7 leads, ");
    expect(line).toContain(
      `weighted (all statuses: 4 open, ${money(10_000, "CHF")} total; 3 won/lost/dropped)`,
    );
    expect(line).toContain("; over all statuses, CHF by owner (");
  });

  it("with only open leads and no status filter, says they are all open", async () => {
    const deals = take(2);
    for (const d of deals) {
      d.status = "pending";
      d.money = 5000;
    }
    const { line } = await summary(h, { ids: deals.map((d) => d.id), group_by: "user" });
    expect(line).toContain(`CHF: 2 leads, ${money(10_000, "CHF")} total, `);
    expect(line).toMatch(/ CHF weighted \(all open: pending\/potential\)/);
    expect(line).not.toContain("all statuses");
  });

  it("with a status filter, adds no status split (the filter already says it)", async () => {
    const deals = take(3);
    for (const d of deals) d.status = "won";
    const { line } = await summary(h, { ids: deals.map((d) => d.id), status: "won", group_by: "user" });
    expect(line).toMatch(/CHF: 3 leads, /);
    expect(line).not.toContain("open");
    expect(line).not.toContain("all statuses");
  });
});
