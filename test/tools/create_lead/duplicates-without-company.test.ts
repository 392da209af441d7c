import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, type Harness, sc, startHarness, text } from "../../support/harness.js";
import { baseLead, requestsSince } from "../../support/write-helpers.js";

/** Two open leads and a won one without a company, named with words no seeded lead uses. */
function seed(h: Harness): Record<string, number> {
  const ids: Record<string, number> = {};
  for (const [key, status] of [
    ["pending", "pending"],
    ["potential", "potential"],
    ["won", "won"],
  ] as const) {
    const made = h.sandbox.store.createDeal({ ...baseLead(h, { name: "Quasar Support Retainer" }), status });
    if (!made.ok) throw new Error(`could not seed ${key}`);
    ids[key] = made.value.id;
  }
  return ids;
}

const owner = (h: Harness) => {
  const u = h.sandbox.store.users.find((x) => x.firstname === "Nicola");
  return `${u?.firstname} ${u?.lastname}`;
};

for (const mirror of [false, true]) {
  describe(`create_lead without a company looks for open leads without a company (${mirror ? "lead mirror" : "live scan"})`, () => {
    let h: Harness;
    let existing: Record<string, number>;
    beforeAll(async () => {
      h = await startHarness({ mirror });
      existing = seed(h);
    });
    afterAll(() => h.close());

    it("creates nothing where open leads without a company have that name: names each (id, name, status, owner), not the won one", async () => {
      const before = h.sandbox.store.deals.length;
      const r = await h.call(
        "create_lead",
        baseLead(h, { name: "Quasar Support Retainer", currency: "CHF", money: 1000 }),
      );
      const error = errorOf(r);
      expect(error.kind).toBe("invalid_input");
      expect(h.sandbox.store.deals.length).toBe(before);
      expect(text(r)).toMatch(
        /^Nothing was created: there are already \d+ open leads without a company with a name like "Quasar Support Retainer": lead /,
      );
      expect(error.fields.name).toEqual(
        expect.arrayContaining([
          `lead ${existing.pending} "Quasar Support Retainer" (pending, company "none", owner "${owner(h)}")`,
          `lead ${existing.potential} "Quasar Support Retainer" (potential, company "none", owner "${owner(h)}")`,
        ]),
      );
      expect(text(r)).not.toContain(`lead ${existing.won} `);
      expect(text(r)).toContain("allow_duplicate: true");
    });

    it("allow_duplicate: true creates it anyway, without reading the open leads", async () => {
      const from = h.sandbox.requests.length;
      const r = await h.call(
        "create_lead",
        baseLead(h, { name: "Quasar Support Retainer", allow_duplicate: true }),
      );
      expect(r.isError, text(r)).toBeFalsy();
      expect(sc(r).lead.company).toBeNull();
      // The history asks MOCO once in a while who the key's user is (GET /profile, cached): no lead read.
      expect(requestsSince(h, from).filter((r) => r !== "GET /profile")).toEqual(["POST /deals"]);
    });

    it("creates a name unlike every open lead without a company", async () => {
      const from = h.sandbox.requests.length;
      const r = await h.call("create_lead", baseLead(h, { name: "Yeti Okapi Tundra Audit" }));
      expect(r.isError, text(r)).toBeFalsy();
      expect(
        requestsSince(h, from)
          .filter((r) => r !== "GET /profile")
          .at(-1),
      ).toBe("POST /deals");
    });
  });
}

describe("create_lead without a company, when the open leads cannot all be read", () => {
  let h: Harness;
  beforeAll(async () => {
    // A scan cap of one page: more open leads than that cannot all be checked.
    h = await startHarness({ config: { maxScanPages: 1 } });
    for (let i = 0; i < 101; i++) {
      const made = h.sandbox.store.createDeal({
        ...baseLead(h, { name: `Wartungsvertrag Los ${i}` }),
        status: "pending",
      });
      if (!made.ok) throw new Error("could not seed");
    }
  });
  afterAll(() => h.close());

  it("creates nothing and says how many were checked, not that there is no duplicate", async () => {
    const before = h.sandbox.store.deals.length;
    const r = await h.call("create_lead", baseLead(h, { name: "Yak Analytics Pilot" }));
    expect(errorOf(r).kind).toBe("invalid_input");
    expect(text(r)).toMatch(
      /^Nothing was created: no lead with a similar name was found, but the check is incomplete\. Only \d+ open leads without a company were checked/,
    );
    expect(text(r)).toContain("allow_duplicate: true");
    expect(h.sandbox.store.deals.length).toBe(before);
  });
});
