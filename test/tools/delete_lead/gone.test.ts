import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

/** delete_lead says how it knows a lead is gone: MOCO's answer, or MOCO's 404 to a retry. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ client: { retryBaseMs: 1, retryMaxMs: 2 } });
});
afterAll(() => h.close());

const pending = (n: number) => h.sandbox.store.deals.filter((d) => d.status === "pending")[n];

describe("delete_lead's summary describes what happened", () => {
  it("a lost answer and a retry MOCO answers 404: says so, not a plain 'Deleted'", async () => {
    const lead = pending(0);
    if (!lead) throw new Error("a pending lead expected");
    const token = sc(await h.call("delete_lead", { id: lead.id })).confirm_token;
    h.sandbox.faults.push({ kind: "reset_after_commit", method: "DELETE", path: `/deals/${lead.id}` });
    const r = await h.call("delete_lead", { id: lead.id, confirm_token: token });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).deleted).toBe(true);
    expect(text(r)).toMatch(
      new RegExp(
        `^Deleted lead ${lead.id} .*: the DELETE's answer was lost, and MOCO answered its retry that the lead does not exist\\.`,
      ),
    );
  });

  it("an answered delete is a plain 'Deleted'", async () => {
    const lead = pending(1);
    if (!lead) throw new Error("a pending lead expected");
    const token = sc(await h.call("delete_lead", { id: lead.id })).confirm_token;
    const r = await h.call("delete_lead", { id: lead.id, confirm_token: token });
    expect(text(r)).toMatch(new RegExp(`^Deleted lead ${lead.id} "[^"]*" \\([^)]*\\)\\.\\n`));
  });
});
