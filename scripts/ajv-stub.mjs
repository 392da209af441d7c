// Build-time stand-in for the MCP SDK's Ajv validator. createServer() always passes its own
// jsonSchemaValidator (src/mcp/form-validator.ts), so the SDK never builds an Ajv instance; bundling
// Ajv anyway cost a quarter of the bundle and its start-up work. Fails loudly if ever reached.
export class AjvJsonSchemaValidator {
  constructor() {
    throw new Error(
      "moco-leads-mcp: Ajv is not bundled; pass jsonSchemaValidator (see src/mcp/form-validator.ts)",
    );
  }
}
