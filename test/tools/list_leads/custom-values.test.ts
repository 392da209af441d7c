import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * Custom field values resolve or fail like names do: a value of a field with options matches an
 * option up to case and accents, else the error lists the options and nothing is read; a text value
 * no lead holds is said, with the close values the leads do hold.
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
const holding = (field: string, has: (v: unknown) => boolean) =>
  h.sandbox.store.deals
    .filter((d: DealRecord) => has(d.custom_properties[field]))
    .map((d) => d.id)
    .sort((a, b) => a - b);

describe("custom field values", () => {
  it("an option value matches whatever its case, read live or scanned, and the reply says how", async () => {
    const expected = holding("Quelle", (v) => v === "Website");
    expect(expected.length).toBeGreaterThan(0);
    for (const [harness, extra] of [
      [h, {}],
      [h, { sort: "money" }],
      [mirrored, { sort: "money" }],
    ] as const) {
      const r = await harness.call("list_leads", {
        custom_properties: { Quelle: "website" },
        per_page: 100,
        ...extra,
      });
      expect(r.isError, text(r)).toBeFalsy();
      expect(ids(r)).toEqual(expected);
      expect(text(r)).toContain('Understood: Quelle "website" = "Website"');
    }
  });

  it("the items of a multiple-choice field match whatever their case", async () => {
    const expected = holding("Leistungen", (v) => Array.isArray(v) && v.includes("Entwicklung"));
    expect(expected.length).toBeGreaterThan(0);
    const r = await h.call("list_leads", {
      custom_properties: { Leistungen: ["ENTWICKLUNG"] },
      per_page: 100,
    });
    expect(ids(r)).toEqual(expected);
  });

  it("a value that is no option is an error listing the options, and no lead is read", async () => {
    const before = h.sandbox.requests.length;
    const r = await h.call("list_leads", { custom_properties: { Quelle: "Webseite" } });
    const error = errorOf(r);
    expect(error.message).toContain('"Webseite" is no option of "Quelle"');
    expect(error.message).toContain("Empfehlung, Website, Messe, Kaltakquise, Partner");
    expect(error.fields).toEqual({ Quelle: ["Empfehlung", "Website", "Messe", "Kaltakquise", "Partner"] });
    expect(h.sandbox.requests.slice(before).filter((q) => q.path === "/deals")).toEqual([]);
  });

  it("a text value no lead holds is said, with the close values the leads hold", async () => {
    const codes = h.sandbox.store.deals
      .map((d) => d.custom_properties.Projektcode)
      .filter((v): v is string => typeof v === "string");
    const code = codes[0];
    if (!code) throw new Error("the seed has Projektcode values");
    const count = codes.filter((c) => c === code).length;
    for (const [harness, extra] of [
      [h, {}],
      [h, { sort: "money" }],
      [mirrored, { sort: "money" }],
    ] as const) {
      const r = await harness.call("list_leads", {
        custom_properties: { Projektcode: code.toLowerCase() },
        ...extra,
      });
      expect(r.isError, text(r)).toBeFalsy();
      expect(sc(r).leads).toEqual([]);
      expect(text(r)).toContain(
        `No lead holds "Projektcode" = "${code.toLowerCase()}" (MOCO matches it exactly); close values the leads hold: "${code}" (${count} lead${count === 1 ? "" : "s"})`,
      );
    }
  });

  it("a text value with nothing close says that too", async () => {
    const r = await h.call("list_leads", { custom_properties: { Projektcode: "XYZ-0" } });
    expect(text(r)).toMatch(
      /No lead holds "Projektcode" = "XYZ-0" \(MOCO matches it exactly\); no close value among the \d+ different values/,
    );
  });
});
