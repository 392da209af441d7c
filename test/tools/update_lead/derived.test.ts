import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../../support/harness.js";
import { baseLead } from "../../support/write-helpers.js";

/** A field MOCO derives is refused with why and what to do instead, and nothing reaches MOCO. */
let h: Harness;
let lead: number;
beforeAll(async () => {
  h = await startHarness();
  lead = h.sandbox.store.deals.find((d) => d.status === "pending")?.id as number;
});
afterAll(() => h.close());

/** Calls a tool and returns its text, checking it was refused before any request. */
async function refused(tool: string, args: Record<string, unknown>) {
  const from = h.sandbox.requests.length;
  const r = await h.call(tool, args);
  expect(r.isError, text(r)).toBe(true);
  expect(h.sandbox.requests.slice(from)).toEqual([]);
  return text(r);
}

describe("setting a probability", () => {
  it("update_lead: it belongs to the stage, where the stages and their probabilities are, how to move the stage", async () => {
    const t = await refused("update_lead", { id: lead, probability: 60 });
    expect(t).toContain(
      "probability belongs to the stage: MOCO takes it from the lead's stage, it cannot be set",
    );
    expect(t).toContain("deal_category (name) or deal_category_id");
    expect(t).toContain("get_lead_options lists the stages with their probabilities");
    expect(t).not.toContain("unknown argument");
  });

  it("create_lead and update_leads say the same", async () => {
    const created = await refused("create_lead", { ...baseLead(h), probability: 60 });
    expect(created).toContain("probability belongs to the stage");
    const bulk = await refused("update_leads", { ids: [lead], changes: { probability: 60 } });
    expect(bulk).toContain("probability belongs to the stage");
    expect(bulk).toContain("get_lead_options lists the stages with their probabilities");
  });
});

describe("the other fields no write sets", () => {
  const table: [string, string, Record<string, unknown>, string][] = [
    ["update_lead", "created_at", { created_at: "2026-01-01T00:00:00Z" }, "created_at is set by MOCO"],
    ["update_lead", "updated_at", { updated_at: "2026-01-01T00:00:00Z" }, "updated_at is set by MOCO"],
    ["update_lead", "weighted", { weighted: 100 }, "weighted is computed (money × the stage's probability)"],
    [
      "update_lead",
      "stage",
      { stage: "Angebot" },
      "stage is set as deal_category (name) or deal_category_id",
    ],
    ["update_lead", "customer_id", { customer_id: 5 }, "customer_id is MOCO's old name of company_id"],
    ["update_lead", "inbox_email_address", { inbox_email_address: "x@y.ch" }, "assigned by MOCO"],
    ["update_leads", "stage", { changes: { stage: "Angebot" } }, "stage is set as deal_category"],
    [
      "update_leads",
      "money",
      { changes: { money: 5 } },
      "update_leads does not change money (update_lead does",
    ],
  ];
  for (const [tool, field, args, says] of table) {
    it(`${tool} ${field}: ${says}`, async () => {
      const t = await refused(
        tool,
        tool === "update_leads" ? { ids: [lead], ...args } : { id: lead, ...args },
      );
      expect(t).toContain(says);
    });
  }

  it("create_lead id: MOCO assigns it; update_lead changes an existing lead", async () => {
    const t = await refused("create_lead", { ...baseLead(h), id: 12 });
    expect(t).toContain("id: MOCO assigns a new lead's id; to change an existing lead use update_lead");
  });

  it("an argument nobody knows is still named as unknown, with the keys the tool takes", async () => {
    const t = await refused("update_lead", { id: lead, probability: 5, bogus: 1 });
    expect(t).toContain("probability belongs to the stage");
    expect(t).toMatch(/unknown argument "bogus"; this takes: id, name,/);
  });
});
