import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetReference } from "../../../src/moco/reference.js";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

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
