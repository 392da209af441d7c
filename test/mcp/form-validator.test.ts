import { describe, expect, it } from "vitest";
import { formValidator } from "../../src/mcp/form-validator.js";

const form = {
  type: "object" as const,
  properties: {
    confirm: { type: "boolean" as const },
    count: { type: "integer" as const },
    colour: { type: "string" as const, enum: ["red", "green"] },
  },
  required: ["confirm"],
};
const check = formValidator.getValidator(form);

describe("elicitation form validator", () => {
  it("accepts an answer that fits the form", () => {
    expect(check({ confirm: true, count: 2, colour: "red" })).toEqual({
      valid: true,
      data: { confirm: true, count: 2, colour: "red" },
      errorMessage: undefined,
    });
  });

  it.each([
    [null, /not an object/],
    [{}, /confirm is required/],
    [{ confirm: "yes" }, /confirm must be of type boolean/],
    [{ confirm: true, count: 1.5 }, /count must be of type integer/],
    [{ confirm: true, colour: "blue" }, /colour must be one of red, green/],
    [{ confirm: true, extra: 1 }, /extra is not a field/],
  ])("refuses %j", (answer, message) => {
    const result = check(answer);
    expect(result.valid).toBe(false);
    expect(result.errorMessage).toMatch(message);
  });
});
