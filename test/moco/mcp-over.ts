import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { loadConfig } from "../../src/config.js";
import { createServer, type ServerDeps } from "../../src/mcp/server.js";
import type { MocoClient } from "../../src/moco/client.js";
import { selectTools, TOOL_NAMES } from "../../src/tools/index.js";

/**
 * The real MCP server over an in-memory pipe, its MOCO client pointed wherever the test says; `env` adds
 * to (or overrides) the settings, `mirrors` turns the lead mirror on.
 */
export async function mcpOver(
  moco: MocoClient,
  baseUrl: string,
  options: { env?: Record<string, string>; mirrors?: ServerDeps["mirrors"] } = {},
) {
  const env = { MOCO_API_KEY: "unused-key-1234", MOCO_BASE_URL: baseUrl, ...options.env };
  const config = loadConfig([], env, TOOL_NAMES);
  const server = createServer({
    moco,
    mirrors: options.mirrors,
    config,
    version: "0.0.0-test",
    tools: selectTools(config),
  });
  const client = new Client({ name: "hardening", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  await client.listTools();
  return {
    call: (name: string, args: Record<string, unknown>) =>
      client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

export const textOf = (result: CallToolResult) =>
  result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
