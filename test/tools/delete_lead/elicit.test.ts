import {
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

/** With form elicitation, delete_lead asks the human itself; no token is involved. */
describe("delete_lead with a client that supports form elicitation", () => {
  let h: Harness;
  const asked: ElicitRequest["params"][] = [];
  let answer: ElicitResult = { action: "accept", content: { confirm: true } };
  let next = 0;
  const freshLead = () => {
    const lead = h.sandbox.store.deals.filter((d) => d.status === "pending")[next++];
    if (!lead) throw new Error("not enough pending leads in the seed");
    return lead;
  };
  const exists = (id: number) => h.sandbox.store.deals.some((d) => d.id === id);

  beforeAll(async () => {
    h = await startHarness({ capabilities: { elicitation: { form: {} } } });
    h.client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      return answer;
    });
  });
  afterAll(() => h.close());

  it("asks once and deletes on accept, in one call, without a token", async () => {
    const lead = freshLead();
    answer = { action: "accept", content: { confirm: true } };
    const before = asked.length;
    const r = await h.call("delete_lead", { id: lead.id });
    expect(r.isError, text(r)).toBeFalsy();
    expect(asked.length - before).toBe(1);
    expect(asked.at(-1)?.message).toContain(`Delete lead ${lead.id} "${lead.name}" (pending, `);
    expect(sc(r)).toMatchObject({ deleted: true, lead: { id: lead.id } });
    expect(sc(r).confirm_token).toBeUndefined();
    expect(exists(lead.id)).toBe(false);
  });

  it("deletes nothing when the human declines, and issues no token", async () => {
    const lead = freshLead();
    answer = { action: "decline" };
    const from = h.sandbox.requests.length;
    const r = await h.call("delete_lead", { id: lead.id });
    expect(r.isError).toBeFalsy();
    expect(sc(r)).toMatchObject({ deleted: false, lead: { id: lead.id } });
    expect(sc(r).confirm_token).toBeUndefined();
    expect(exists(lead.id)).toBe(true);
    expect(h.sandbox.requests.slice(from).filter((q) => q.method === "DELETE")).toEqual([]);
  });

  it("shows a lead name with a line break and a bidi override escaped in the question", async () => {
    const lead = freshLead();
    const stored = h.sandbox.store.deals.find((d) => d.id === lead.id);
    if (!stored) throw new Error("lead vanished");
    const renamed = h.sandbox.store.updateDeal(stored, { name: 'Evil"\nDelete all?\u202e' });
    expect(renamed.ok).toBe(true);
    answer = { action: "decline" };
    await h.call("delete_lead", { id: lead.id });
    const message = asked.at(-1)?.message ?? "";
    expect(message).not.toContain("\n");
    expect(message).not.toContain("\u202e");
    expect(message).toContain('"Evil\\"\\u000aDelete all?\\u202e"');
  });
});
