import {
  type CallToolResult,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASK_ABOVE } from "../../../src/leads/bulk.js";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";
import { leadPicker, putsSince, stored } from "./bulk-support.js";

describe("update_leads with a client that supports form elicitation", () => {
  let h: Harness;
  let pick: ReturnType<typeof leadPicker>;
  const asked: ElicitRequest["params"][] = [];
  let answer: ElicitResult = { action: "accept", content: { confirm: true } };
  beforeAll(async () => {
    h = await startHarness({ capabilities: { elicitation: { form: {} } } });
    h.client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      return answer;
    });
    pick = leadPicker(h);
  });
  afterAll(() => h.close());

  it(`asks the human once for more than ${ASK_ABOVE} leads; decline writes nothing`, async () => {
    const leads = pick(ASK_ABOVE + 2);
    answer = { action: "decline" };
    const before = asked.length;
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", {
      ids: leads.map((l) => l.id),
      changes: { reminder_date: "2027-08-01" },
    });
    expect(r.isError, text(r)).toBeFalsy();
    expect(asked.length - before).toBe(1);
    expect(asked.at(-1)?.message).toMatch(/^Change 12 leads: reminder_date → 2027-08-01\? lead \d+ "/);
    expect(sc(r)).toMatchObject({ dry_run: false, written: false, counts: { would_change: 12, changed: 0 } });
    expect(text(r)).toContain("Nothing was written");
    expect(putsSince(h, from)).toEqual([]);
  });

  it("accept applies every change in one call, without a token", async () => {
    const leads = pick(ASK_ABOVE + 2);
    answer = { action: "accept", content: { confirm: true } };
    const before = asked.length;
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", {
      ids: leads.map((l) => l.id),
      changes: { reminder_date: "2027-08-02" },
    });
    expect(r.isError, text(r)).toBeFalsy();
    expect(asked.length - before).toBe(1);
    expect(sc(r).counts).toMatchObject({ changed: 12, failed: 0 });
    expect(putsSince(h, from)).toHaveLength(12);
    for (const l of leads) expect(stored(h, l.id).reminder_date).toBe("2027-08-02");
  });

  it(`does not ask for ${ASK_ABOVE} leads or fewer named by id; a dry run issues a token all the same`, async () => {
    const leads = pick(ASK_ABOVE);
    const before = asked.length;
    const ids = leads.map((l) => l.id);
    const dry = await h.call("update_leads", {
      ids,
      changes: { reminder_date: "2027-08-03" },
      dry_run: true,
    });
    expect(sc(dry).confirm_token).toMatch(/^\d+\.\d+\.[\w-]{22}\.[\w-]{22}$/);
    const r = await h.call("update_leads", { ids, changes: { reminder_date: "2027-08-03" } });
    expect(sc(r).counts).toMatchObject({ changed: ASK_ABOVE });
    expect(asked.length).toBe(before);
  });
});

describe("update_leads within MOCO's rate budget", () => {
  it("30 changes go through with 0 × 429 at a sandbox enforcing 120 requests per 2 minutes, with progress", async () => {
    const h = await startHarness({ sandbox: { rateLimit: { limit: 120, windowMs: 120_000 } } });
    try {
      expect(h.config.rateLimit).toEqual({ limit: 120, windowMs: 120_000 });
      const leads = leadPicker(h)(30);
      const args = {
        ids: leads.map((l) => l.id),
        changes: { reminder_date: "2027-09-01", status: "potential" },
      };
      const dry = await h.call("update_leads", { ...args, dry_run: true });
      const progress: number[] = [];
      const r = (await h.client.callTool(
        { name: "update_leads", arguments: { ...args, confirm_token: sc(dry).confirm_token } },
        undefined,
        { onprogress: (p) => progress.push(p.progress) },
      )) as CallToolResult;
      expect(r.isError, text(r)).toBeFalsy();
      expect(sc(r).counts).toMatchObject({ changed: 30, failed: 0 });
      expect(h.sandbox.stats.rateLimited).toBe(0);
      expect(h.sandbox.requests.filter((q) => q.status === 429)).toEqual([]);
      expect(progress.at(-1)).toBe(30);
      for (const l of leads)
        expect(stored(h, l.id)).toMatchObject({ reminder_date: "2027-09-01", status: "potential" });
    } finally {
      await h.close();
    }
  });
});
