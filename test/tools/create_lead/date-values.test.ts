import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";
import { baseLead, store } from "../../support/write-helpers.js";

/**
 * A date custom field takes YYYY-MM-DD only (MOCO answers anything else with a bare "custom_properties:
 * ist nicht gültig"): create_lead turns an unambiguous DD.MM.YYYY into it and says so, and refuses
 * any other value before anything is written, saying the form the field takes.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-03-15" } });
});
afterAll(() => h.close());

const deal = (id: number) => store(h).deals.find((d) => d.id === id) as DealRecord;
const posts = (from: number) =>
  h.sandbox.requests.slice(from).filter((q) => q.method === "POST" && q.path === "/deals");

describe("create_lead date custom field values", () => {
  it("turns 31.01.2027 into 2027-01-31, stores it and says so", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call(
      "create_lead",
      baseLead(h, { custom_properties: { "Entscheid bis": "31.01.2027" } }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    expect((posts(from)[0]?.body as Json)?.custom_properties).toEqual({ "Entscheid bis": "2027-01-31" });
    const { lead } = sc(r) as { lead: Json };
    expect(deal(lead.id).custom_properties["Entscheid bis"]).toBe("2027-01-31");
    expect(text(r)).toContain('Entscheid bis "31.01.2027" = 2027-01-31');
  });

  it("refuses a value that is no date YYYY-MM-DD before anything is written, saying the form", async () => {
    for (const value of ["31/01/2027", "2027-02-30", "31.02.2027", "Ende Januar"]) {
      const from = h.sandbox.requests.length;
      const r = await h.call("create_lead", baseLead(h, { custom_properties: { "Entscheid bis": value } }));
      const error = errorOf(r);
      expect(error.kind, value).toBe("invalid_input");
      expect(error.message).toContain('"Entscheid bis" is a date field');
      expect(error.message).toContain("YYYY-MM-DD");
      expect(error.fields).toEqual({ "Entscheid bis": ["YYYY-MM-DD"] });
      expect(posts(from), value).toHaveLength(0);
    }
  });

  it("sends a date given as YYYY-MM-DD as it is, with nothing to explain", async () => {
    const r = await h.call(
      "create_lead",
      baseLead(h, { custom_properties: { "Entscheid bis": "2027-03-01" } }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    expect(text(r)).not.toContain('Entscheid bis "');
  });
});
