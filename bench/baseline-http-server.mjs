#!/usr/bin/env node
// The HTTP baseline: the smallest stateless Streamable HTTP server on the same SDK, plain JS, unbundled,
// straight from node_modules (a fresh McpServer + transport per POST, as the SDK's stateless example
// does; node:http; one trivial tool). Prints its MCP URL on stdout once listening.
//   node bench/baseline-http-server.mjs [port]     (default 0: any free port on 127.0.0.1)
import { createServer } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const http = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const server = new McpServer({ name: "baseline", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes the text back.", inputSchema: { text: z.string().describe("Text to echo") } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  const text = Buffer.concat(chunks).toString("utf8");
  await transport.handleRequest(req, res, text ? JSON.parse(text) : undefined);
});
http.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  process.stdout.write(`http://127.0.0.1:${http.address().port}/mcp\n`);
});
process.on("SIGTERM", () => process.exit(0));
