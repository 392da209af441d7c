import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

// Two servers over the same seeded account (same today, same lead count): one reads MOCO live, one
// serves from its lead mirror. Nothing here writes, so both accounts stay equal.
const TODAY = "2026-11-25";
let live: Harness;
let mirrored: Harness;
beforeAll(async () => {
  [live, mirrored] = await Promise.all([
    startHarness({ sandbox: { today: TODAY } }),
    startHarness({ sandbox: { today: TODAY }, mirror: true }),
  ]);
});
afterAll(() => Promise.all([live.close(), mirrored.close()]));

async function both(tool: string, args: Record<string, unknown>) {
  const [a, b] = await Promise.all([live.call(tool, args), mirrored.call(tool, args)]);
  expect(a.isError, text(a)).toBeFalsy();
  expect(b.isError, text(b)).toBeFalsy();
  return { live: a, mirror: b };
}

describe("reads served from the lead mirror", () => {
  it("list_leads search from the mirror equals the live answer and states its freshness", async () => {
    const args = { query: "AG", status: "open", sort: "name", per_page: 100 };
    const r = await both("list_leads", args);
    expect(sc(r.mirror).leads.length).toBeGreaterThan(0);
    expect(sc(r.mirror).leads).toEqual(sc(r.live).leads);
    expect(sc(r.mirror).total).toBe(sc(r.live).total);
    expect(sc(r.mirror).matched).toBe(sc(r.live).matched);
    expect(text(r.mirror)).toMatch(/from the lead mirror as of \d\d:\d\d:\d\d UTC \(\d+ s ago/);
    expect(text(r.live)).not.toMatch(/lead mirror/);
  });

  it("pipeline_summary from the mirror equals the live answer and states its freshness", async () => {
    const args = { group_by: "stage", top: 3 };
    const r = await both("pipeline_summary", args);
    expect(sc(r.mirror).currencies.length).toBeGreaterThanOrEqual(3);
    expect(sc(r.mirror).currencies).toEqual(sc(r.live).currencies);
    expect(sc(r.mirror).matched).toBe(sc(r.live).matched);
    expect(text(r.mirror)).toMatch(/from the lead mirror as of \d\d:\d\d:\d\d UTC/);
  });

  it("a warm pipeline_summary costs at most 2 MOCO requests", async () => {
    const first = await mirrored.call("pipeline_summary", { status: "pending" });
    expect(first.isError, text(first)).toBeFalsy();
    const before = mirrored.sandbox.requests.length;
    const warm = await mirrored.call("pipeline_summary", { status: "pending" });
    expect(warm.isError, text(warm)).toBeFalsy();
    const requests = mirrored.sandbox.requests.length - before;
    expect(requests).toBeLessThanOrEqual(2);
    expect(sc(warm).currencies).toEqual(sc(first).currencies);
  });
});
