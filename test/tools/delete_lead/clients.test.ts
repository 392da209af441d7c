import {
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../../support/harness.js";
import { counting, sc, store, writesSince } from "../../support/write-helpers.js";

/** A lead nobody else in this file touches. */
const pendingLead = (h: Harness, index: number) => {
  const lead = store(h).deals.filter((d) => d.status === "pending")[index];
  if (!lead) throw new Error("not enough pending leads in the seed");
  return lead;
};
const exists = (h: Harness, id: number) => store(h).deals.some((d) => d.id === id);

describe("delete_lead with a client that supports elicitation", () => {
  let h: Harness;
  const asked: ElicitRequest["params"][] = [];
  let answer: ElicitResult = { action: "accept", content: { confirm: true } };
  const recording = async (request: ElicitRequest) => {
    asked.push(request.params);
    return answer;
  };
  beforeAll(async () => {
    h = await startHarness({ capabilities: { elicitation: {} } });
    h.client.setRequestHandler(ElicitRequestSchema, recording);
  });
  afterAll(() => h.close());

  it("asks the human, showing name, value and status, and deletes on accept", async () => {
    const lead = pendingLead(h, 0);
    answer = { action: "accept", content: { confirm: true } };
    const { result: r, requests } = await counting(h, () => h.call("delete_lead", { id: lead.id }));
    expect(r.isError, text(r)).toBeFalsy();
    expect(asked.at(-1)?.message).toContain(`lead ${lead.id} "${lead.name}" (pending, `);
    expect(asked.at(-1)?.message).toContain(lead.currency);
    expect(sc(r)).toMatchObject({ deleted: true, lead: { id: lead.id, name: lead.name } });
    expect(exists(h, lead.id)).toBe(false);
    expect(requests).toEqual([`GET /deals/${lead.id}`, `DELETE /deals/${lead.id}`]);
  });

  for (const [how, reply] of [
    ["declines", { action: "decline" }],
    ["cancels", { action: "cancel" }],
    ["accepts without ticking confirm", { action: "accept", content: { confirm: false } }],
  ] as const) {
    it(`deletes nothing when the human ${how}, and says so without an error`, async () => {
      const lead = pendingLead(h, 1);
      answer = reply as ElicitResult;
      const from = h.sandbox.requests.length;
      const r = await h.call("delete_lead", { id: lead.id });
      expect(r.isError).toBeFalsy();
      expect(sc(r)).toMatchObject({ deleted: false, lead: { id: lead.id } });
      expect(text(r)).toMatch(/^Not deleted: .*was not confirmed.*Nothing was changed\./);
      expect(exists(h, lead.id)).toBe(true);
      expect(writesSince(h, from)).toEqual([]);
    });
  }

  it("deletes nothing when the elicitation itself fails", async () => {
    const lead = pendingLead(h, 1);
    h.client.setRequestHandler(ElicitRequestSchema, async () => {
      throw new Error("the host's dialog crashed");
    });
    try {
      const r = await h.call("delete_lead", { id: lead.id });
      expect(sc(r).deleted).toBe(false);
      expect(exists(h, lead.id)).toBe(true);
    } finally {
      h.client.setRequestHandler(ElicitRequestSchema, recording);
    }
  });
});

describe("delete_lead without elicitation (a preview, then the confirmation token)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ client: { retryBaseMs: 1, retryMaxMs: 2 } });
  });
  afterAll(() => h.close());

  /** The preview's token, for the call that deletes. */
  async function tokenFor(id: number): Promise<string> {
    const preview = await h.call("delete_lead", { id });
    expect(sc(preview).deleted).toBe(false);
    return sc(preview).confirm_token as string;
  }

  it("deletes on the confirmed call and returns the lead's data", async () => {
    const lead = pendingLead(h, 0);
    const confirm_token = await tokenFor(lead.id);
    expect(exists(h, lead.id)).toBe(true);
    const r = await h.call("delete_lead", { id: lead.id, confirm_token });
    expect(sc(r)).toMatchObject({
      deleted: true,
      lead: { id: lead.id, money: lead.money, status: "pending" },
    });
    expect(exists(h, lead.id)).toBe(false);
  });

  it("reports deleted when the answer was lost and the retry found the lead gone", async () => {
    const lead = pendingLead(h, 0);
    const confirm_token = await tokenFor(lead.id);
    h.sandbox.faults.push({ kind: "reset_after_commit", method: "DELETE", path: `/deals/${lead.id}` });
    const { result: r, requests } = await counting(h, () =>
      h.call("delete_lead", { id: lead.id, confirm_token }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).deleted).toBe(true);
    expect(requests).toEqual([
      `GET /deals/${lead.id}`,
      `DELETE /deals/${lead.id}`,
      `DELETE /deals/${lead.id}`,
    ]);
  });

  it("counts any success answer to the DELETE as deleted, whatever its body", async () => {
    // Faults answer instead of the sandbox: the lead stays, but MOCO's answer is what is judged.
    for (const fault of [
      { kind: "status", status: 200, body: { message: "Deal deleted" } }, // not a lead
      { kind: "status", status: 200, body: [] },
      { kind: "empty", status: 204 },
      { kind: "malformed_json" }, // 200 with a body that is not even JSON
    ] as const) {
      const lead = pendingLead(h, 0);
      const confirm_token = await tokenFor(lead.id);
      h.sandbox.faults.push({ ...fault, method: "DELETE", path: `/deals/${lead.id}` });
      const r = await h.call("delete_lead", { id: lead.id, confirm_token });
      expect(r.isError, `${JSON.stringify(fault)}: ${text(r)}`).toBeFalsy();
      expect(sc(r)).toMatchObject({ deleted: true, lead: { id: lead.id } });
    }
  });

  it("still reports a lead that never existed as not found", async () => {
    const r = await h.call("delete_lead", { id: 99_999_997 });
    expect(r.isError).toBe(true);
  });
});

describe("delete_lead with a client that only supports URL elicitation", () => {
  it("cannot ask a form question, so previews like a client without elicitation", async () => {
    const h = await startHarness({ capabilities: { elicitation: { url: {} } } });
    try {
      let called = false;
      h.client.setRequestHandler(ElicitRequestSchema, async () => {
        called = true;
        return { action: "decline" };
      });
      const lead = pendingLead(h, 0);
      const r = await h.call("delete_lead", { id: lead.id });
      expect(r.isError, text(r)).toBeFalsy();
      expect(sc(r).deleted).toBe(false);
      expect(typeof sc(r).confirm_token).toBe("string");
      expect(exists(h, lead.id)).toBe(true);
      expect(called).toBe(false);
    } finally {
      await h.close();
    }
  });
});
