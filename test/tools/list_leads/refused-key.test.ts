import { afterEach, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../../support/harness.js";

/**
 * Once MOCO refuses the key (revoked by an admin), list_leads, pipeline_summary and lead_changes do not
 * answer from the lead mirror's copy, however fresh: they ask MOCO and say MOCO's refusal.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const REFUSED = "MOCO rejected the API key (401)";
const since = new Date(Date.now() - 86_400_000).toISOString();

describe("a revoked key", () => {
  it.each([
    ["list_leads", { query: "Zuverlässig" }],
    ["pipeline_summary", {}],
    ["lead_changes", { since }],
  ] as const)("gets MOCO's refusal from %s, not its copy", async (tool, args) => {
    // An hour's freshness: without the refusal, these reads would make no MOCO request.
    h = await startHarness({ mirror: { freshMs: 3_600_000 } });
    expect((await h.call(tool, args)).isError).toBeFalsy();
    const synced = h.sandbox.requests.length;
    expect((await h.call(tool, args)).isError).toBeFalsy();
    expect(h.sandbox.requests.length).toBe(synced); // served from the copy
    h.sandbox.keyRevoked = true;
    // Any call with the key learns of it: here get_lead, which reads MOCO live.
    const live = await h.call("get_lead", { id: h.sandbox.store.deals[0]?.id });
    expect(live.isError).toBe(true);
    expect(text(live)).toContain(REFUSED);
    const from = h.sandbox.requests.length;
    const answer = await h.call(tool, args);
    expect(answer.isError).toBe(true);
    expect(text(answer)).toContain(REFUSED);
    expect(h.sandbox.requests.slice(from).map((q) => q.status)).toEqual([401]); // MOCO was asked
    // Accepted again (the admin undid it): the copy is served again.
    h.sandbox.keyRevoked = false;
    expect((await h.call(tool, args)).isError).toBeFalsy();
  });

  it("gets it from a read-only server too (as a read-only OAuth grant is served)", async () => {
    h = await startHarness({ mirror: { freshMs: 3_600_000 }, env: { MOCO_READ_ONLY: "true" } });
    const args = { query: "Zuverlässig" };
    expect((await h.call("list_leads", args)).isError).toBeFalsy();
    h.sandbox.keyRevoked = true;
    expect(text(await h.call("get_lead", { id: h.sandbox.store.deals[0]?.id }))).toContain(REFUSED);
    const answer = await h.call("list_leads", args);
    expect(answer.isError).toBe(true);
    expect(text(answer)).toContain(REFUSED);
  });
});
