import { describe, expect, it } from "vitest";
import { createLeadTool } from "../../../src/tools/create-lead.js";

const valid = {
  name: "Beispiel AG – Relaunch",
  currency: "EUR",
  money: 25000,
  reminder_date: "2026-12-01",
  user_id: 1,
  deal_category_id: 2,
};

/** The first issue's path and message, for a given input. */
function refusal(
  schema: {
    safeParse(v: unknown): {
      success: boolean;
      error?: { issues: { path: PropertyKey[]; message: string }[] };
    };
  },
  input: unknown,
) {
  const result = schema.safeParse(input);
  expect(result.success).toBe(false);
  const issue = result.error?.issues[0];
  return { path: issue?.path.join("."), message: issue?.message ?? "" };
}

describe("create_lead input rules", () => {
  it("accepts the six mandatory fields", () => {
    expect(createLeadTool.input.safeParse(valid).success).toBe(true);
  });

  it.each(["name", "currency", "money", "reminder_date", "user_id", "deal_category_id"])(
    "requires %s",
    (field) => {
      const input: Record<string, unknown> = { ...valid };
      delete input[field];
      expect(refusal(createLeadTool.input, input).path).toBe(field);
    },
  );

  it.each([
    ["status", "open", /potential, pending, won, lost, dropped/],
    ["reminder_date", "01.12.2026", /YYYY-MM-DD/],
    ["reminder_date", "2026-02-30", /does not exist/],
    ["closed_on", "2026-13-01", /does not exist/],
    ["money", -5, /negative/],
    ["money", Number.POSITIVE_INFINITY, /.+/],
    ["money", "25k", /number/],
    ["currency", "eur", /three-letter/],
    ["currency", "EURO", /three-letter/],
    ["user_id", 0, /positive/],
    ["user_id", 1.5, /whole number/],
    ["deal_category_id", "7", /numeric id/],
    ["service_period_from", "2026-03-02", /1st of a month/],
    ["service_period_to", "2026-03-30", /last day of a month/],
    ["name", "   ", /cannot be empty/],
    ["tags", [""], /cannot be empty/],
  ])("refuses %s = %j", (field, value, message) => {
    const issue = refusal(createLeadTool.input, { ...valid, [field]: value });
    expect(issue.path?.split(".")[0]).toBe(field);
    expect(issue.message).toMatch(message);
  });

  it("refuses a service period that ends before it starts", () => {
    const issue = refusal(createLeadTool.input, {
      ...valid,
      service_period_from: "2026-05-01",
      service_period_to: "2026-04-30",
    });
    expect(issue.path).toBe("service_period_to");
    expect(issue.message).toMatch(/before service_period_from/);
  });

  it("accepts leap days and month ends", () => {
    const input = {
      ...valid,
      reminder_date: "2028-02-29",
      service_period_from: "2028-02-01",
      service_period_to: "2028-02-29",
    };
    expect(createLeadTool.input.safeParse(input).success).toBe(true);
    expect(createLeadTool.input.safeParse({ ...valid, service_period_to: "2026-02-28" }).success).toBe(true);
  });

  it("refuses unknown fields instead of silently dropping them", () => {
    const issue = refusal(createLeadTool.input, { ...valid, customer: "Beispiel AG" });
    expect(issue.message).toMatch(/customer/);
  });
});
