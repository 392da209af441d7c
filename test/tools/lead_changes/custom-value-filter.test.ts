import { afterEach, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("lead_changes with a custom field value", () => {
  it("matches an option value up to case, as list_leads does ('website' finds the 'Website' leads)", async () => {
    h = await startHarness({ mirror: { freshMs: 0 } });
    const first = await h.call("lead_changes", { since: "2000-01-01" });
    const since = sc(first).history_start as string;
    const lead = h.sandbox.store.deals.find(
      (d) => d.status === "pending" && d.custom_properties?.Quelle === "Website",
    );
    if (!lead) throw new Error("the seed has no pending lead with Quelle Website");
    const r = await h.call("update_lead", { id: lead.id, money: (lead.money ?? 0) + 1 });
    expect(r.isError, text(r)).toBeFalsy();
    const changed = await h.call("lead_changes", {
      since,
      filter: { custom_properties: { Quelle: "website" } },
    });
    expect(changed.isError, text(changed)).toBeFalsy();
    const ids = (sc(changed).changes as { lead_id: number }[]).map((c) => c.lead_id);
    expect(ids).toContain(lead.id);
  });
});
