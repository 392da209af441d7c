import { type ElicitRequest, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../../support/harness.js";
import { HIDDEN_NAME, HIDDEN_PARTS } from "../../support/hidden-text.js";

/**
 * What the human reads before a lead is deleted names it with MOCO's text quoted: nothing in the
 * name may hide, reorder or fake the end of the quote, whether the client asks the human itself
 * (form elicitation) or the model shows the preview.
 */
const rename = (h: Harness) => {
  const lead = h.sandbox.store.deals.find((d) => d.status === "pending");
  if (!lead) throw new Error("no pending lead in the seed");
  expect(h.sandbox.store.updateDeal(lead, { name: HIDDEN_NAME }).ok).toBe(true);
  return lead.id;
};

const expectSpelled = (shown: string) => {
  expect(HIDDEN_PARTS.length).toBeGreaterThan(0);
  for (const [raw, spelled] of HIDDEN_PARTS) {
    expect(shown, `U+${raw.codePointAt(0)?.toString(16)}`).not.toContain(raw);
    expect(shown).toContain(spelled);
  }
  expect([...shown].filter((c) => c === "\u0336")).toHaveLength(3);
};

describe("delete_lead's confirmation shows a name of invisible characters spelled out", () => {
  let h: Harness;
  const asked: ElicitRequest["params"][] = [];

  beforeAll(async () => {
    h = await startHarness({ capabilities: { elicitation: { form: {} } } });
    h.client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      return { action: "decline" };
    });
  });
  afterAll(() => h.close());

  it("in the question the client puts to the human", async () => {
    const id = rename(h);
    const before = asked.length;
    await h.call("delete_lead", { id });
    expect(asked.length - before).toBe(1);
    const message = asked.at(-1)?.message ?? "";
    expect(message).toMatch(new RegExp(`^Delete lead ${id} "Acme`));
    expectSpelled(message);
  });
});

describe("delete_lead's preview (no elicitation) shows the same name spelled out", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it("in the sentence the model is told to show the human", async () => {
    const id = rename(h);
    const r = await h.call("delete_lead", { id });
    expect(r.isError, text(r)).toBeFalsy();
    const sentence = text(r).split("\n")[0] ?? "";
    expect(sentence).toMatch(new RegExp(`^Not deleted yet: lead ${id} "Acme`));
    expectSpelled(sentence);
  });
});
