import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../support/harness.js";
import { HIDDEN_NAME, HIDDEN_PARTS, ZALGO } from "../support/hidden-text.js";

/**
 * A tool's text ends with a JSON line of its data. What a human cannot see is spelled \uXXXX there
 * (JSON.parse gives MOCO's value back exactly); structuredContent carries MOCO's value unchanged.
 */
describe("the JSON line of a tool's text", () => {
  let h: Harness;
  let id: number;

  beforeAll(async () => {
    h = await startHarness();
    const lead = h.sandbox.store.deals[0];
    if (!lead) throw new Error("no lead in the seed");
    expect(h.sandbox.store.updateDeal(lead, { name: HIDDEN_NAME }).ok).toBe(true);
    id = lead.id;
  });
  afterAll(() => h.close());

  it("parses back to exactly structuredContent, with MOCO's name unchanged there", async () => {
    const r = await h.call("get_lead", { id });
    expect(r.isError, text(r)).toBeFalsy();
    const line = text(r).split("\n").at(-1) ?? "";
    expect(sc(r).lead.name).toBe(HIDDEN_NAME);
    expect(JSON.parse(line)).toEqual(sc(r));
  });

  it("spells every invisible character, quote look-alike and extra combining mark as \\uXXXX", async () => {
    const r = await h.call("get_lead", { id });
    const line = text(r).split("\n").at(-1) ?? "";
    expect(HIDDEN_PARTS.length).toBeGreaterThan(0);
    for (const [raw] of HIDDEN_PARTS) {
      expect(line, `U+${raw.codePointAt(0)?.toString(16)}`).not.toContain(raw);
      const units = [...Array(raw.length).keys()].map(
        (i) => `\\u${raw.charCodeAt(i).toString(16).padStart(4, "0")}`,
      );
      expect(line).toContain(units.join(""));
    }
    expect([...line].filter((c) => c === "\u0336")).toHaveLength(3);
    expect(line).toContain(`${ZALGO.slice(0, 4)}${"\\u0336".repeat(9)}`);
  });

  it("and the sentence before it names the lead with the same characters spelled out", async () => {
    const r = await h.call("get_lead", { id });
    const sentence = text(r).split("\n").slice(0, -1).join("\n");
    expect(sentence).toContain(`lead ${id} "Acme`);
    for (const [raw, spelled] of HIDDEN_PARTS) {
      expect(sentence).not.toContain(raw);
      expect(sentence).toContain(spelled);
    }
  });
});
