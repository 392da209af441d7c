import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../../support/harness.js";

/** A day range has one "..": a third part is refused, not silently dropped. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const FORMS = "expected a day YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD (an end may be left out)";

describe("a range filter with more than two parts", () => {
  for (const field of ["reminder", "created", "closed", "service"]) {
    it(`list_leads refuses ${field} "a..b..c", naming the field and the accepted forms; MOCO is not asked`, async () => {
      const from = h.sandbox.requests.length;
      const r = await h.call("list_leads", { [field]: "2026-12-01..2026-12-05..2026-12-09" });
      expect(r.isError).toBe(true);
      expect(text(r)).toContain(
        `${FORMS}; "2026-12-01..2026-12-05..2026-12-09" has 2 ".." where a range has one`,
      );
      expect(text(r)).toMatch(new RegExp(`at ${field}\\b`));
      expect(h.sandbox.requests.length).toBe(from);
    });
  }

  it("update_leads refuses it in its filter too, naming filter.reminder", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", {
      filter: { reminder: "2026-12-01..2026-12-05..2026-12-09" },
      changes: { reminder_date: "2027-01-12" },
      dry_run: true,
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('has 2 ".." where a range has one at filter.reminder');
    expect(h.sandbox.requests.length).toBe(from);
  });

  it("still takes a day, a range and a range with an open end", async () => {
    for (const reminder of ["2026-12-01", "2026-12-01..2026-12-05", "2026-12-01..", "..2026-12-05"]) {
      const r = await h.call("list_leads", { reminder, per_page: 1 });
      expect(r.isError, `${reminder}: ${text(r)}`).toBeFalsy();
    }
  });
});
