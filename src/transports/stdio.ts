import process from "node:process";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { log } from "../log.js";

/**
 * Serves one MCP session over stdin/stdout, the way Claude Desktop spawns servers. The host
 * ends the session by closing stdin or by a signal; either way we shut down cleanly (the cleanup
 * lets writes already sent to MOCO finish).
 */
export async function serveStdio(server: McpServer, cleanup: () => Promise<void>): Promise<void> {
  const transport = new BackpressuredStdio(process.stdin, process.stdout);
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log("info", `${why}: letting writes already sent to MOCO finish, then exiting`);
    await server.close().catch(() => {});
    await cleanup().catch(() => {});
    process.exit(0);
  };
  transport.onclose = () => void stop("transport closed");
  await server.connect(transport);
  process.stdin.on("end", () => void stop("stdin closed"));
  process.stdin.on("close", () => void stop("stdin closed"));
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

/**
 * The SDK's transport keeps reading requests while stdout is blocked, and queues every answer in
 * memory with one 'drain' listener each: a client that stops reading grows the process without
 * bound. Here a blocked stdout stops the reading of stdin until it drains, so at most the requests
 * already read are answered into memory, and every later sender waits on the one pending drain.
 */
export class BackpressuredStdio extends StdioServerTransport {
  private blocked: Promise<void> | undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream & { pause(): unknown; resume(): unknown },
    private readonly output: NodeJS.WritableStream,
  ) {
    super(input as typeof process.stdin, output as typeof process.stdout);
  }

  /** True while stdout is blocked and stdin is not being read. */
  get paused(): boolean {
    return this.blocked !== undefined;
  }

  override async send(message: JSONRPCMessage): Promise<void> {
    while (this.blocked) await this.blocked;
    if (this.output.write(serializeMessage(message))) return;
    this.input.pause();
    this.blocked = new Promise((resolve) => {
      this.output.once("drain", () => {
        this.blocked = undefined;
        this.input.resume();
        resolve();
      });
    });
    await this.blocked;
  }
}
