import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * A query matches name, company, contact person and description: a row the words found only outside
 * its name says where, and name matches come first ("Website V2" finds two "Website-Relaunch" leads
 * because "v2" stands in their description).
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-11-25" } });
});
afterAll(() => h.close());

const V2 = "Angebot v2 mit reduziertem Umfang verschickt.";

describe("where a query matched", () => {
  it("a row whose words are partly in the description says so", async () => {
    const r = await h.call("list_leads", { query: "Website V2" });
    expect(r.isError, text(r)).toBeFalsy();
    const leads = sc(r).leads as Json[];
    const expected = h.sandbox.store.deals.filter((d) => /^Website/.test(d.name) && d.info === V2);
    expect(leads.map((l) => l.id).sort()).toEqual(expected.map((d) => d.id).sort());
    expect(leads.length).toBeGreaterThan(0);
    for (const l of leads) expect(l.matched).toBe("name, description");
    expect(text(r)).toContain(`0 match the words in the name; ${leads.length} only elsewhere`);
  });

  it("name matches come first, then matches only in the description, marked", async () => {
    const store = h.sandbox.store;
    const base = store.deals[0];
    if (!base) throw new Error("the seed has leads");
    const make = (name: string, info: string) => {
      const made = store.createDeal({
        name,
        info,
        currency: "CHF",
        money: 1000,
        reminder_date: "2026-12-01",
        user_id: base.user_id,
        deal_category_id: base.deal_category_id,
      });
      if (!made.ok) throw new Error(JSON.stringify(made.body));
      return made.value;
    };
    // The description match is created first: in MOCO's order it would come first.
    const inInfo = make("Wartung Q1", "Zitronenpresse als Thema");
    const inName = make("Zitronenpresse Portal", "");
    try {
      const r = await h.call("list_leads", { query: "zitronenpresse" });
      const leads = sc(r).leads as Json[];
      expect(leads.map((l) => l.id)).toEqual([inName.id, inInfo.id]);
      expect(leads[0]?.matched).toBeUndefined();
      expect(leads[1]?.matched).toBe("description");
      expect(text(r)).toContain(
        '1 matches the words in the name; 1 only elsewhere (listed after them; "matched" says where)',
      );
    } finally {
      store.deleteDeal(inInfo);
      store.deleteDeal(inName);
    }
  });
});
