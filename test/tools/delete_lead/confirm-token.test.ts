import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, type Harness, sc, startHarness, text } from "../../support/harness.js";

/** delete_lead over a client without elicitation: preview, then confirm_token; a token confirms one delete. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const deletes = (from: number) => h.sandbox.requests.slice(from).filter((q) => q.method === "DELETE");

describe("delete_lead's confirm_token", () => {
  it("of two concurrent deletes with one token only the first is sent; the second is refused as used", async () => {
    const lead = h.sandbox.store.deals.find((d) => d.status === "lost");
    if (!lead) throw new Error("the seed has no lost lead");
    const preview = await h.call("delete_lead", { id: lead.id });
    const token = sc(preview).confirm_token as string;
    const from = h.sandbox.requests.length;
    const [a, b] = await Promise.all([
      h.call("delete_lead", { id: lead.id, confirm_token: token }),
      h.call("delete_lead", { id: lead.id, confirm_token: token }),
    ]);
    const ok = [a, b].filter((r) => !r.isError);
    const refused = [a, b].filter((r) => r.isError);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(text(refused[0] as (typeof refused)[number])).toMatch(
      /already used \(a token confirms one delete\)/,
    );
    expect(deletes(from)).toHaveLength(1);
  });

  it("gives the token back when MOCO refused the delete for sure, so the retry needs no new preview", async () => {
    const lead = h.sandbox.store.deals.find((d) => d.status === "dropped");
    if (!lead) throw new Error("the seed has no dropped lead");
    const preview = await h.call("delete_lead", { id: lead.id });
    const token = sc(preview).confirm_token as string;
    h.sandbox.faults.push({ kind: "status", status: 403, method: "DELETE", path: `/deals/${lead.id}` });
    const first = await h.call("delete_lead", { id: lead.id, confirm_token: token });
    expect(errorOf(first).kind).toBe("forbidden");
    const again = await h.call("delete_lead", { id: lead.id, confirm_token: token });
    expect(again.isError, text(again)).toBeFalsy();
    expect(sc(again).deleted).toBe(true);
  });
});
