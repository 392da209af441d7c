import { describe, expect, it } from "vitest";
import { updateLeadTool } from "../../../src/tools/update-lead.js";

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

describe("update_lead input rules", () => {
  it("needs at least one field besides id", () => {
    expect(refusal(updateLeadTool.input, { id: 5 }).message).toMatch(/at least one field/);
  });

  it("accepts a partial change", () => {
    expect(updateLeadTool.input.safeParse({ id: 5, status: "won" }).success).toBe(true);
  });
});
