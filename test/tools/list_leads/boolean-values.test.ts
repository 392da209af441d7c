import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * A yes/no custom field (MOCO stores "1" or "0") is filtered by true or false, or by a word for them
 * in English, German, French, Spanish or as 1/0, whatever its case; the reply says how the word was
 * understood. Any other value is refused before a lead is read: MOCO would answer it with no leads.
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

const ids = (r: Json) => (sc(r).leads as { id: number }[]).map((l) => l.id).sort((a, b) => a - b);
const holding = (stored: string) =>
  h.sandbox.store.deals
    .filter((d: DealRecord) => d.custom_properties.Rahmenvertrag === stored)
    .map((d) => d.id)
    .sort((a, b) => a - b);
const dealReads = (harness: Harness, from: number) =>
  harness.sandbox.requests.slice(from).filter((q) => q.path === "/deals");

describe("a yes/no custom field in a filter", () => {
  it('"ja", "yes" and the other words for yes find the leads that hold yes, and say so', async () => {
    const expected = holding("1");
    expect(expected.length).toBeGreaterThan(0);
    for (const word of ["ja", "yes", "JA", "Oui", "sí", "1", "True"]) {
      const r = await h.call("list_leads", { custom_properties: { Rahmenvertrag: word }, per_page: 100 });
      expect(r.isError, text(r)).toBeFalsy();
      expect(ids(r), word).toEqual(expected);
      expect(text(r)).toContain(`Understood: Rahmenvertrag ${JSON.stringify(word)} = yes`);
      expect(text(r)).not.toContain("No lead holds");
    }
  });

  it("the words for no find the leads that hold no, read live, scanned or from the mirror", async () => {
    const expected = holding("0");
    expect(expected.length).toBeGreaterThan(0);
    for (const [harness, word, extra] of [
      [h, "nein", {}],
      [h, "No", { sort: "money" }],
      [mirrored, "non", { sort: "money" }],
      [mirrored, "0", {}],
    ] as const) {
      const r = await harness.call("list_leads", {
        custom_properties: { Rahmenvertrag: word },
        per_page: 100,
        ...extra,
      });
      expect(r.isError, text(r)).toBeFalsy();
      expect(ids(r), word).toEqual(expected);
      expect(text(r)).toContain(`Rahmenvertrag ${JSON.stringify(word)} = no`);
    }
  });

  it("true and false still work, with nothing to explain", async () => {
    const r = await h.call("list_leads", { custom_properties: { Rahmenvertrag: true }, per_page: 100 });
    expect(ids(r)).toEqual(holding("1"));
    expect(text(r)).not.toContain("Rahmenvertrag true =");
  });

  it("any other value is refused as not yes/no, and no lead is read", async () => {
    for (const value of ["vielleicht", "", ["ja"]]) {
      const from = h.sandbox.requests.length;
      const r = await h.call("list_leads", { custom_properties: { Rahmenvertrag: value } });
      const error = errorOf(r);
      expect(error.kind).toBe("invalid_input");
      expect(error.message).toContain('"Rahmenvertrag" is a yes/no field');
      expect(error.message).toContain("use true or false");
      expect(error.fields).toEqual({ Rahmenvertrag: ["true", "false"] });
      expect(dealReads(h, from)).toEqual([]);
    }
  });

  it("pipeline_summary reads the word the same way", async () => {
    const r = await h.call("pipeline_summary", { custom_properties: { Rahmenvertrag: "ja" } });
    expect(r.isError, text(r)).toBeFalsy();
    expect(text(r)).toContain('Rahmenvertrag "ja" = yes');
  });
});
