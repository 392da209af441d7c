import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

/**
 * Serves one MCP session over stdin/stdout, the way Claude Desktop spawns servers. The host
 * ends the session by closing stdin or by a signal; either way we shut down cleanly.
 */
export async function serveStdio(server: McpServer, cleanup: () => Promise<void>): Promise<void> {
  const transport = new StdioServerTransport();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.close().catch(() => {});
    await cleanup().catch(() => {});
    process.exit(0);
  };
  transport.onclose = () => void stop();
  await server.connect(transport);
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
