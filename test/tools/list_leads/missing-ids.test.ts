import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

/** list_leads by ids names the ids asked for that no lead has, so "1 lead of 1" does not hide them. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const absentId = () => Math.max(...h.sandbox.store.deals.map((d) => d.id)) + 1_000_000;

describe("list_leads ids that do not exist", () => {
  it("names an id no lead has (MOCO's own list, live)", async () => {
    const [deal] = h.sandbox.store.deals;
    const missing = absentId();
    const r = await h.call("list_leads", { ids: [deal?.id, missing] });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).leads.map((l: { id: number }) => l.id)).toEqual([deal?.id]);
    expect(text(r)).toContain(`No lead found with id ${missing}: it does not exist`);
    expect(text(r)).not.toContain(`${deal?.id}:`);
  });

  it("names it too when the ids are read with a filter MOCO lacks, and says the filter may exclude it", async () => {
    const [deal] = h.sandbox.store.deals;
    const missing = absentId();
    const r = await h.call("list_leads", { ids: [deal?.id, missing], sort: "name" });
    expect(r.isError, text(r)).toBeFalsy();
    expect(text(r)).toContain(`No lead found with id ${missing}`);
    const q = await h.call("list_leads", { ids: [deal?.id, missing], query: "zzzz-no-such-word" });
    expect(text(q)).toContain(
      `Not among the matches: ids ${deal?.id}, ${missing} (no such lead, or the other filters exclude them)`,
    );
  });

  it("says nothing of missing ids when every id asked for is there", async () => {
    const ids = h.sandbox.store.deals.slice(0, 2).map((d) => d.id);
    const r = await h.call("list_leads", { ids });
    expect(text(r)).not.toMatch(/No lead found with id|Not among the matches/);
  });
});
