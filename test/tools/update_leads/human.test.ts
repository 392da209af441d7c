import {
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";
import { editInMoco, leadPicker, putsSince, stored } from "./bulk-support.js";

/** A filter run with a client that can ask: the human approves the very leads read, whatever their number. */
describe("update_leads by filter with a client that supports form elicitation", () => {
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

  it("asks even for 2 leads, naming them; decline writes nothing, accept writes those 2", async () => {
    const leads = pick(2);
    for (const l of leads) editInMoco(h, l.id, { tags: ["Human-Filter"] });
    const args = { filter: { tags: ["Human-Filter"] }, changes: { reminder_date: "2031-09-09" } };
    answer = { action: "decline" };
    let from = h.sandbox.requests.length;
    const no = await h.call("update_leads", args);
    expect(no.isError, text(no)).toBeFalsy();
    expect(sc(no).written).toBe(false);
    expect(asked.at(-1)?.message).toMatch(/^Change 2 leads: reminder_date → 2031-09-09\? lead \d+ "/);
    expect(putsSince(h, from)).toEqual([]);
    answer = { action: "accept", content: { confirm: true } };
    from = h.sandbox.requests.length;
    const yes = await h.call("update_leads", args);
    expect(sc(yes).counts).toMatchObject({ changed: 2 });
    expect(putsSince(h, from).sort()).toEqual(leads.map((l) => `/deals/${l.id}`).sort());
    for (const l of leads) expect(stored(h, l.id).reminder_date).toBe("2031-09-09");
  });
});

describe("update_leads dry run over a filter of 100 leads", () => {
  it("stays under 30 KB with every lead's facts it fits, the ids to apply and the token", async () => {
    const h = await startHarness();
    try {
      const leads = h.sandbox.store.deals.slice(0, 100);
      for (const l of leads) editInMoco(h, l.id, { tags: ["Hundert"] });
      const r = await h.call("update_leads", {
        filter: { tags: ["Hundert"] },
        changes: { reminder_date: "2031-10-10" },
        dry_run: true,
      });
      expect(r.isError, text(r)).toBeFalsy();
      const bytes = Buffer.byteLength(
        JSON.stringify({ content: r.content, structuredContent: r.structuredContent }),
      );
      expect(bytes).toBeLessThanOrEqual(30_000);
      const ids = leads.map((l) => l.id).sort((a, b) => a - b);
      expect(text(r)).toContain(`with ids [${ids.join(",")}]`);
      expect(sc(r).confirm_token).toBeDefined();
    } finally {
      await h.close();
    }
  });
});
