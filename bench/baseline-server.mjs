#!/usr/bin/env node
// The cold-start baseline: the smallest useful server on the same SDK, plain JS, unbundled, straight
// from node_modules. `npm run bench` starts it alternately with our built server; the ratio of the
// two medians says what our own code and packaging add to (or save over) the bare SDK.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "baseline", version: "1.0.0" });
server.registerTool(
  "echo",
  { description: "Echoes the text back.", inputSchema: { text: z.string().describe("Text to echo") } },
  async ({ text }) => ({ content: [{ type: "text", text }] }),
);
await server.connect(new StdioServerTransport());
