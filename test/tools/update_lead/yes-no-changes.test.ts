import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

/** update_lead's change lines read a yes/no custom field as yes or no, not MOCO's stored "1" or "0". */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-03-15" } });
});
afterAll(() => h.close());

describe("update_lead change lines of a yes/no field", () => {
  it('an unset field set to yes reads "none → yes"; yes to no reads "yes → no"', async () => {
    const d = h.sandbox.store.deals.find((x) => x.status === "pending") as {
      id: number;
      custom_properties: Record<string, unknown>;
    };
    delete d.custom_properties.Rahmenvertrag;
    const set = await h.call("update_lead", { id: d.id, custom_properties: { Rahmenvertrag: true } });
    expect(set.isError, text(set)).toBeFalsy();
    expect(sc(set).changes).toContain("custom_properties.Rahmenvertrag: none → yes");
    const unset = await h.call("update_lead", { id: d.id, custom_properties: { Rahmenvertrag: "nein" } });
    expect(unset.isError, text(unset)).toBeFalsy();
    expect(sc(unset).changes).toContain("custom_properties.Rahmenvertrag: yes → no");
  });
});
