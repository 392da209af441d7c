import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, type Harness, sc, startHarness } from "../../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

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
