// Build-time stand-in for zod 3 and zod-to-json-schema inside the MCP SDK. The SDK accepts schemas of
// zod 3 and zod 4 and imports both converters for that; every schema of ours is zod 4, so its zod 3
// branches never run. Bundling them anyway put 110 KB (a fifth of the start) into every start.
// Fails loudly if ever reached.
const refuse = () => {
  throw new Error("moco-leads-mcp: zod 3 is not bundled; every schema must be a zod 4 schema");
};
export const object = refuse;
export const zodToJsonSchema = refuse;
