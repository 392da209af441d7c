import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, type Harness, sc, startHarness, text } from "../../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("get_lead", () => {
  it("reads one lead", async () => {
    const id = h.sandbox.store.deals[3]?.id as number;
    const r = await h.call("get_lead", { id });
    expect(r.isError).toBeFalsy();
    expect(sc(r).lead.id).toBe(id);
  });

  it("says a missing lead does not exist and what to do", async () => {
    const r = await h.call("get_lead", { id: 99_999_999 });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/Lead 99999999 does not exist.*list_leads/);
    expect(errorOf(r).kind).toBe("not_found");
  });
});
