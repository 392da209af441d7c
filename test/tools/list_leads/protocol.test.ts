import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetReference } from "../../../src/moco/reference.js";
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

describe("list_leads", () => {
  it("returns a page of leads with honest pagination", async () => {
    const r = await h.call("list_leads", { per_page: 10 });
    expect(r.isError).toBeFalsy();
    const data = sc(r);
    expect(data.leads).toHaveLength(10);
    expect(data.page).toBe(1);
    expect(data.per_page).toBe(10);
    expect(data.total).toBe(h.sandbox.store.deals.length);
    expect(data.next_page).toBe(2);
    expect(text(r)).toMatch(/^10 leads of \d+ on page 1\. Next: page 2\./);
  });

  it("reports the last page without a next page", async () => {
    const total = h.sandbox.store.deals.length;
    const last = Math.ceil(total / 100);
    const data = sc(await h.call("list_leads", { per_page: 100, page: last }));
    expect(data.leads).toHaveLength(total - (last - 1) * 100);
    expect(data.next_page).toBeNull();
  });

  it("sends MOCO's own filters as MOCO expects them", async () => {
    forgetReference(h.moco); // the field definitions are read first, whatever ran before
    const before = h.sandbox.requests.length;
    const r = await h.call("list_leads", {
      status: "won",
      tags: ["Wichtig", "Relaunch"],
      closed: "2025-01-01..2026-12-31",
      updated_after: "2020-01-01T01:00:00+01:00",
      custom_properties: { Quelle: "Website", Rahmenvertrag: true },
      per_page: 5,
    });
    expect(r.isError).toBeFalsy();
    // One page of leads; the field names were checked against the (cached) field definitions first.
    // An empty page for asked tags also reads the account's tag list (cached) to name a typo.
    const sent = h.sandbox.requests.slice(before).map((q) => `${q.method} ${q.path}`);
    const empty = (sc(r).leads as unknown[]).length === 0;
    expect(sent).toEqual(["GET /account/custom_properties", "GET /deals", ...(empty ? ["GET /tags"] : [])]);
    const query = new URLSearchParams(
      [...h.sandbox.requests].reverse().find((q) => q.path === "/deals")?.query,
    );
    expect(query.get("status")).toBe("won");
    expect(query.get("tags")).toBe("Wichtig,Relaunch");
    expect(query.get("closed_from")).toBe("2025-01-01");
    expect(query.get("updated_after")).toBe("2020-01-01T00:00:00Z");
    expect(query.get("custom_properties[Quelle]")).toBe("Website");
    // Filters take booleans as MOCO documents them for filters (writes send "1"/"0").
    expect(query.get("custom_properties[Rahmenvertrag]")).toBe("true");
    for (const lead of sc(r).leads) expect(lead.status).toBe("won");
  });

  it("returns normalised leads with full=true (null dates, no deprecated customer)", async () => {
    const data = sc(await h.call("list_leads", { status: "pending", per_page: 20, full: true }));
    for (const lead of data.leads) {
      expect(lead.closed_on).toBeNull();
      expect(lead).not.toHaveProperty("customer");
      expect(lead.category).toHaveProperty("probability");
    }
  });

  it("returns compact leads by default: empty fields left out, references by name", async () => {
    const data = sc(await h.call("list_leads", { status: "pending", per_page: 20 }));
    for (const lead of data.leads) {
      expect(lead).not.toHaveProperty("closed_on");
      expect(lead).not.toHaveProperty("customer");
      expect(lead).not.toHaveProperty("custom_properties");
      const raw = h.sandbox.store.deals.find((d) => d.id === lead.id);
      const stage = h.sandbox.store.categories.find((c) => c.id === raw?.deal_category_id);
      expect(lead).toMatchObject({ status: "pending", stage: stage?.name, probability: stage?.probability });
    }
  });
});

describe("get_lead", () => {
  it("reads one lead", async () => {
    const id = h.sandbox.store.deals[3]?.id as number;
    const r = await h.call("get_lead", { id });
    expect(r.isError).toBeFalsy();
    expect(sc(r).lead.id).toBe(id);
  });

  it("says a missing lead does not exist and what to do", async () => {
    const r = await h.call("get_lead", { id: 99_999_999 });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/Lead 99999999 does not exist.*list_leads/);
    expect(errorOf(r).kind).toBe("not_found");
  });
});

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

describe("update_lead", () => {
  it("changes only the given fields", async () => {
    const target = h.sandbox.store.deals.find((d) => d.status === "pending");
    if (!target) throw new Error("no pending lead");
    const r = await h.call("update_lead", { id: target.id, money: 31337 });
    expect(r.isError).toBeFalsy();
    expect(sc(r).lead).toMatchObject({ id: target.id, money: 31337, name: target.name });
  });

  it("refuses an update of a missing lead with a next step", async () => {
    const r = await h.call("update_lead", { id: 99_999_998, money: 1 });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/does not exist/);
  });
});

describe("delete_lead", () => {
  it("deletes (after the preview's token) and returns the deleted lead's data", async () => {
    const target = h.sandbox.store.deals.at(-1);
    if (!target) throw new Error("no lead");
    const preview = await h.call("delete_lead", { id: target.id });
    expect(sc(preview)).toMatchObject({ deleted: false, lead: { id: target.id } });
    const r = await h.call("delete_lead", { id: target.id, confirm_token: sc(preview).confirm_token });
    expect(r.isError).toBeFalsy();
    expect(sc(r)).toMatchObject({ deleted: true, lead: { id: target.id, name: target.name } });
    expect(h.sandbox.store.deals.some((d) => d.id === target.id)).toBe(false);
  });

  it("says when the lead is already gone", async () => {
    const r = await h.call("delete_lead", { id: 99_999_997 });
    expect(r.isError).toBe(true);
    expect(errorOf(r).kind).toBe("not_found");
  });
});
