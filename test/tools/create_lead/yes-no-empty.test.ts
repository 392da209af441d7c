import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, type Harness, startHarness } from "../../support/harness.js";
import { baseLead, store, writesSince } from "../../support/write-helpers.js";

/**
 * MOCO cannot leave a yes/no field empty: it stores an empty value as no ("0"). An empty value for such
 * a field would write "no" where the caller asked for nothing, so it is refused before any write, on
 * create_lead and update_lead alike, saying what MOCO would store and what to send instead.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-03-15" } });
});
afterAll(() => h.close());

describe("an empty value for a yes/no field", () => {
  it("create_lead refuses it before writing, naming the field and what MOCO would store", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", baseLead(h, { custom_properties: { Rahmenvertrag: "" } }));
    const error = errorOf(r);
    expect(error.kind).toBe("invalid_input");
    expect(error.message).toMatch(/^Nothing was written\./);
    expect(error.message).toContain(
      '"Rahmenvertrag" is a yes/no field, which MOCO cannot leave empty: it would store "" as no ("0")',
    );
    expect(error.fields).toEqual({ Rahmenvertrag: ["true", "false"] });
    expect(writesSince(h, from)).toEqual([]);
  });

  it("update_lead refuses it too and leaves the stored yes unchanged", async () => {
    const created = await h.call("create_lead", baseLead(h, { custom_properties: { Rahmenvertrag: true } }));
    expect(created.isError).toBeFalsy();
    const id = (created.structuredContent as { lead: { id: number } }).lead.id;
    const from = h.sandbox.requests.length;
    const r = await h.call("update_lead", { id, custom_properties: { Rahmenvertrag: "" } });
    expect(errorOf(r).message).toContain("send false for no, or leave the field out to keep its value");
    expect(writesSince(h, from)).toEqual([]);
    expect(store(h).deals.find((d) => d.id === id)?.custom_properties.Rahmenvertrag).toBe("1");
  });
});
