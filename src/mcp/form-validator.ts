import type { JsonSchemaType, jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";

/**
 * The SDK checks elicitation answers against the form's schema, by default with an Ajv instance
 * built for every server — that is, for every request on stateless HTTP, where it was half the
 * cost of a request. Elicitation forms are flat objects of primitive fields by the MCP spec; this
 * checks exactly that (required fields, types, enums) without Ajv.
 */
type Field = { type?: string; enum?: unknown[] };

function problem(schema: JsonSchemaType, input: unknown): string | undefined {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    return "the answer is not an object";
  const answer = input as Record<string, unknown>;
  const fields = (typeof schema === "object" ? (schema.properties ?? {}) : {}) as Record<string, Field>;
  const required = typeof schema === "object" ? (schema.required ?? []) : [];
  for (const name of required) if (answer[name] === undefined) return `${name} is required`;
  for (const [name, value] of Object.entries(answer)) {
    const field = fields[name];
    if (!field) return `${name} is not a field of this form`;
    const ok =
      field.type === "integer"
        ? Number.isInteger(value)
        : field.type === undefined || typeof value === (field.type === "number" ? "number" : field.type);
    if (!ok) return `${name} must be of type ${field.type}`;
    if (field.enum && !field.enum.includes(value)) return `${name} must be one of ${field.enum.join(", ")}`;
  }
  return undefined;
}

export const formValidator: jsonSchemaValidator = {
  getValidator<T>(schema: JsonSchemaType) {
    return (input: unknown) => {
      const found = problem(schema, input);
      return found === undefined
        ? { valid: true as const, data: input as T, errorMessage: undefined }
        : { valid: false as const, data: undefined, errorMessage: found };
    };
  },
};
