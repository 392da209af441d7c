import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../../support/harness.js";

/**
 * A "no" filter of a yes/no custom field matches the leads that hold no, not those with the field
 * unset (which MOCO's interface shows unticked): the reply says so, with how many are unset where
 * the mirror holds every lead, and how false was understood.
 */
let h: Harness;
let mirrored: Harness;
beforeAll(async () => {
  [h, mirrored] = await Promise.all([
    startHarness({ sandbox: { today: "2026-11-25" } }),
    startHarness({ sandbox: { today: "2026-11-25" }, mirror: true }),
  ]);
});
afterAll(() => Promise.all([h.close(), mirrored.close()]));

describe("a yes/no custom field filtered by no", () => {
  it("echoes false as no and says the leads with the field unset are not included (live)", async () => {
    for (const word of [false, "nein"]) {
      const r = await h.call("list_leads", { custom_properties: { Rahmenvertrag: word } });
      expect(r.isError, text(r)).toBeFalsy();
      expect(text(r)).toContain(`Rahmenvertrag ${JSON.stringify(word)} = no`);
      expect(text(r)).toContain("leads with Rahmenvertrag unset are not included");
    }
  });

  it("says how many leads have the field unset when the mirror answers", async () => {
    const deals = mirrored.sandbox.store.deals;
    for (const d of deals.slice(0, 3)) delete d.custom_properties.Rahmenvertrag;
    const unset = deals.filter((d) => {
      const v = d.custom_properties.Rahmenvertrag;
      return v === undefined || v === null || v === "";
    }).length;
    expect(unset).toBeGreaterThanOrEqual(3);
    const r = await mirrored.call("list_leads", {
      custom_properties: { Rahmenvertrag: false },
      sort: "money",
    });
    expect(r.isError, text(r)).toBeFalsy();
    expect(text(r)).toContain("Rahmenvertrag false = no");
    expect(text(r)).toContain(`${unset} of the ${deals.length} leads in the mirror have Rahmenvertrag unset`);
  });

  it("a yes filter says nothing of unset leads", async () => {
    const r = await h.call("list_leads", { custom_properties: { Rahmenvertrag: true } });
    expect(r.isError, text(r)).toBeFalsy();
    expect(text(r)).not.toContain("unset");
  });
});
