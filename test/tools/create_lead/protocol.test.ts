import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, type Harness, sc, startHarness, text } from "../../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function someIds() {
  const user = h.sandbox.store.users[0];
  const category = h.sandbox.store.categories.find((c) => c.name === "Angebot erstellen");
  if (!user || !category) throw new Error("sandbox seed lacks users or categories");
  return { user_id: user.id, deal_category_id: category.id };
}

describe("create_lead", () => {
  it("creates a lead and returns what MOCO stored", async () => {
    const ids = await someIds();
    const r = await h.call("create_lead", {
      name: "Beispiel AG – Relaunch",
      currency: "EUR",
      money: 25000,
      reminder_date: "2026-12-01",
      ...ids,
      tags: ["Relaunch"],
    });
    expect(r.isError).toBeFalsy();
    const lead = sc(r).lead;
    expect(lead).toMatchObject({
      name: "Beispiel AG – Relaunch",
      status: "pending",
      money: 25000,
      currency: "EUR",
    });
    expect(h.sandbox.store.deals.some((d) => d.id === lead.id)).toBe(true);
  });

  it("passes MOCO's German validation messages through verbatim", async () => {
    const r = await h.call("create_lead", {
      name: "X",
      currency: "EUR",
      money: 1,
      reminder_date: "2026-12-01",
      user_id: 123_456_789,
      deal_category_id: (await someIds()).deal_category_id,
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/422.*user_id: ist nicht gültig/);
    expect(errorOf(r).fields.user_id).toEqual(["ist nicht gültig"]);
  });
});
