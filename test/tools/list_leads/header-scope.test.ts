import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, startHarness, text } from "../../support/harness.js";

/**
 * A filtered follow-up list counts its matches, and says what the same filters hold outside the
 * dates it narrowed to: "0 overdue" this week must not read as "nothing overdue".
 */
const TODAY = "2026-11-25"; // a Wednesday: this week is 2026-11-23 to 2026-11-29
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: TODAY } });
});
afterAll(() => h.close());

const open = (d: DealRecord) =>
  (d.status === "pending" || d.status === "potential") && d.reminder_date !== "";

describe("follow-up headers say their scope", () => {
  it("due this_week for one user: the matches' counts, then the overdue ones outside the week", async () => {
    const nicola = h.sandbox.store.users.find((u) => u.firstname === "Nicola");
    const hers = h.sandbox.store.deals.filter((d) => open(d) && d.user_id === nicola?.id);
    const inWeek = hers.filter((d) => d.reminder_date >= "2026-11-23" && d.reminder_date <= "2026-11-29");
    const before = hers.filter((d) => d.reminder_date < "2026-11-23");
    const after = hers.filter((d) => d.reminder_date > "2026-11-29");
    expect(before.length).toBeGreaterThan(0); // she has overdue follow-ups outside this week
    const r = await h.call("list_leads", { user: "Nicola Keller", due: "this_week", per_page: 100 });
    const t = text(r);
    expect(t).toContain(
      inWeek.length === 1
        ? "Open follow-ups among this 1 match:"
        : `Open follow-ups among these ${inWeek.length} matches:`,
    );
    const parts = [
      before.length > 0 ? `${before.length} overdue` : "",
      after.length > 0 ? `${after.length} later` : "",
    ].filter(Boolean);
    expect(t).toContain(
      `Outside this week, the same filters hold ${before.length + after.length} more open follow-ups: ${parts.join(", ")}.`,
    );
  });

  it("due overdue: the follow-ups not yet due are counted beside it", async () => {
    const all = h.sandbox.store.deals.filter(open);
    const notYet = all.filter((d) => d.reminder_date >= TODAY);
    const todays = notYet.filter((d) => d.reminder_date === TODAY).length;
    const r = await h.call("list_leads", { due: "overdue", per_page: 1 });
    expect(text(r)).toContain(
      `Besides the overdue ones, the same filters hold ${notYet.length} more open follow-ups: ${todays} due today, ${notYet.length - todays} later.`,
    );
  });
});
