import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * get_lead_options' search finds companies and people whatever the case, accents or umlaut spelling
 * typed: MOCO's own term search matches the letters as typed.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-11-25" } });
});
afterAll(() => h.close());

const names = (list: Json[]) => list.map((x) => x.name as string);

describe("get_lead_options search folds accents and umlaut spellings", () => {
  it.each(["muller", "mueller", "MÜLLER", "Müller", "soehne", "Söhne"])(
    "%s finds the company Müller & Söhne GmbH",
    async (search) => {
      const r = await h.call("get_lead_options", { search });
      expect(r.isError, text(r)).toBeFalsy();
      expect(names(sc(r).companies)).toContain("Müller & Söhne GmbH");
    },
  );

  it.each(["juergen", "jurgen", "Jürgen Mueller"])(
    "%s finds the contact person Jürgen Müller",
    async (search) => {
      const r = await h.call("get_lead_options", { search });
      expect(names(sc(r).people)).toContain("Jürgen Müller");
    },
  );

  it("a search MOCO matches as typed costs one request per list, as before", async () => {
    const before = h.sandbox.requests.length;
    const r = await h.call("get_lead_options", { search: "Beispiel" });
    expect(names(sc(r).companies).length).toBeGreaterThan(0);
    expect(h.sandbox.requests.length - before).toBe(2);
  });
});
