import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../../support/harness.js";
import { baseLead } from "../../support/write-helpers.js";

/** What create_lead's entry in tools/list tells a model before its first call. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const createLead = async () => {
  const { tools } = await h.client.listTools();
  const tool = tools.find((t) => t.name === "create_lead");
  if (!tool) throw new Error("create_lead is not listed");
  return tool;
};

describe("create_lead's schema says what is required", () => {
  it("the user and the stage, each by id or by name, besides the fields JSON Schema marks required", async () => {
    const tool = await createLead();
    expect(tool.inputSchema.required).toEqual(["name", "currency", "money", "reminder_date"]);
    expect(tool.description).toContain("also needs user_id or user, and deal_category_id or deal_category");
  });

  it("says so again when the call lacks them, before any request", async () => {
    const { user_id: _, deal_category_id: __, ...rest } = baseLead(h);
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", rest);
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("give user_id or user");
    expect(text(r)).toContain("give deal_category_id or deal_category");
    expect(h.sandbox.requests.length).toBe(from);
  });
});
