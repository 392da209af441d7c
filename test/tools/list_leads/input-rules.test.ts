import { describe, expect, it } from "vitest";
import { listLeadsTool } from "../../../src/tools/list-leads.js";

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

describe("list_leads input rules", () => {
  it("defaults to a modest page", () => {
    expect(listLeadsTool.input.parse({})).toEqual({ page: 1, per_page: 25 });
  });

  it("caps per_page at 100", () => {
    expect(refusal(listLeadsTool.input, { per_page: 101 }).path).toBe("per_page");
  });

  it("wants updated_after as a date or a timestamp with zone", () => {
    expect(refusal(listLeadsTool.input, { updated_after: "last monday" }).message).toMatch(
      /a date YYYY-MM-DD or a timestamp with zone/,
    );
    expect(listLeadsTool.input.safeParse({ updated_after: "2026-11-23" }).success).toBe(true);
    expect(listLeadsTool.input.safeParse({ updated_after: "2026-11-23T00:00:00+01:00" }).success).toBe(true);
  });
});
