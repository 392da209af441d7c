import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("update_lead", () => {
  it("changes only the given fields", async () => {
    const target = h.sandbox.store.deals.find((d) => d.status === "pending");
    if (!target) throw new Error("no pending lead");
    const r = await h.call("update_lead", { id: target.id, money: 31337 });
    expect(r.isError).toBeFalsy();
    expect(sc(r).lead).toMatchObject({ id: target.id, money: 31337, name: target.name });
  });

  it("refuses an update of a missing lead with a next step", async () => {
    const r = await h.call("update_lead", { id: 99_999_998, money: 1 });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/does not exist/);
  });
});
