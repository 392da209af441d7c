import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

/** update_lead's `clear`: emptying a reference or a date MOCO would otherwise keep. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("update_lead clear", () => {
  it("empties the company and the person, sending null, and reports the change without warnings", async () => {
    const target = h.sandbox.store.deals.find((d) => d.company_id !== null && d.person_id !== null);
    if (!target) throw new Error("the seed has no lead with a company and a person");
    const before = h.sandbox.requests.length;
    const r = await h.call("update_lead", { id: target.id, clear: ["company", "person"] });
    expect(r.isError, text(r)).toBeFalsy();
    const put = h.sandbox.requests.slice(before).find((x) => x.method === "PUT");
    expect(put?.body).toEqual({ company_id: null, person_id: null });
    expect(sc(r).lead).toMatchObject({ company: null, person: null });
    expect(sc(r).changes.join("; ")).toMatch(
      /company: .* → none.*person: .* → none|person: .* → none.*company: .* → none/,
    );
    expect(sc(r).warnings).toEqual([]);
  });

  it("empties both ends of the service period", async () => {
    const target = h.sandbox.store.deals.find((d) => d.service_period_from !== null);
    if (!target) throw new Error("the seed has no lead with a service period");
    const r = await h.call("update_lead", { id: target.id, clear: ["service_period"] });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).lead).toMatchObject({ service_period_from: null, service_period_to: null });
  });

  it("refuses to clear and set the same field, before any request", async () => {
    const target = h.sandbox.store.deals[0] as { id: number };
    const before = h.sandbox.requests.length;
    const r = await h.call("update_lead", { id: target.id, clear: ["company"], company: "Beispiel AG" });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/company is both cleared and set/);
    expect(h.sandbox.requests.length).toBe(before);
  });
});
