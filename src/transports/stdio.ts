import process from "node:process";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { log } from "../log.js";
import { type OpenRequest, refusedWhileStopping, stoppedBeforeAnswer } from "./shutdown.js";

/**
 * After the MOCO pool has closed, how long the calls it cut off get to write their error (the tool's
 * own "may have been created" step), and how long stdout gets to take the last answers.
 */
const LAST_WORD_MS = 2_000;

/**
 * Serves one MCP session over stdin/stdout, the way Claude Desktop spawns servers. The host ends the
 * session by closing stdin or by a signal; the channel may also fail (a message over the size limit,
 * a broken stdout). Either way every call in progress gets its answer before the channel closes:
 *  1. no new request is taken (one that still arrives is refused with an error);
 *  2. the calls in progress finish, up to `graceMs`;
 *  3. `cleanup` gets what is left of the grace for writes already sent to MOCO, names on stderr those
 *     still unanswered, and closes the MOCO pool: a call waiting on one of them ends with the tool's
 *     own "may have been created/changed" next step, through the server's error boundary;
 *  4. a call that has still not answered gets an error result for its id, and a line on stderr;
 *  5. stdout is flushed, then the transport closes.
 */
export async function serveStdio(
  server: McpServer,
  cleanup: (graceMs: number) => Promise<void>,
  graceMs: number,
): Promise<void> {
  const transport = new BackpressuredStdio(process.stdin, process.stdout);
  let stopping = false;
  const stop = async (why: string, failed = false) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    // After a signal the client may still send: each new request is refused with an error. After a
    // fault of the channel nothing more is read.
    transport.stopTaking({ read: !failed });
    const open = transport.openCount;
    const calls = open === 0 ? "" : `, and the ${open === 1 ? "call" : `${open} calls`} in progress answer`;
    log(
      failed ? "error" : "info",
      `${why}: letting writes already sent to MOCO finish${calls}, then exiting`,
    );
    await transport.settled(graceMs);
    await cleanup(Math.max(0, graceMs - (Date.now() - started))).catch((error: unknown) => {
      log("error", `shutdown: cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    await transport.settled(LAST_WORD_MS);
    for (const request of transport.unanswered()) await transport.send(stoppedBeforeAnswer(request, why));
    await transport.flush(LAST_WORD_MS);
    transport.allowClose();
    await server.close().catch(() => {});
    process.exit(failed ? 1 : 0);
  };
  transport.onfault = (why) => void stop(why, true);
  transport.onclose = () => void stop("transport closed");
  // Unreadable lines, and what ends the channel, are logged with their reason (the SDK only reports them here).
  server.server.onerror = (error) => log("warn", `stdio: ${error.message}`);
  await server.connect(transport);
  process.stdin.on("end", () => void stop("stdin closed"));
  process.stdin.on("close", () => void stop("stdin closed"));
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

type Input = NodeJS.ReadableStream & { pause(): unknown; resume(): unknown };
type Deliver = ((message: JSONRPCMessage) => void) | undefined;

/**
 * The SDK's stdio transport, with three changes:
 * - Backpressure. The SDK's transport keeps reading requests while stdout is blocked, and queues every
 *   answer in memory with one 'drain' listener each: a client that stops reading grows the process
 *   without bound. Here a blocked stdout stops the reading of stdin until it drains, so at most the
 *   requests already read are answered into memory, and every later sender waits on the one pending drain.
 * - Requests in progress are known (read, not yet answered), so that shutdown can wait for them and
 *   answer those that cannot finish.
 * - A fault of the channel does not close it: the SDK closes on a message over its size limit (which
 *   would drop every answer in progress), and a broken stdout would throw. Both go to `onfault` with
 *   their reason; the session then ends the way a shutdown does. Only `allowClose()` lets it close.
 */
export class BackpressuredStdio extends StdioServerTransport {
  private blocked: Promise<void> | undefined;
  private unblock: (() => void) | undefined;
  private readonly open = new Map<RequestId, OpenRequest>();
  private readonly waiters = new Set<() => void>();
  private stopping = false;
  private closable = false;
  private broken: Error | undefined;
  private lastError: Error | undefined;
  /** The channel failed and the session must end; `why` gives the reason. */
  onfault?: (why: string) => void;

  constructor(
    private readonly input: Input,
    private readonly output: NodeJS.WritableStream,
  ) {
    super(input as typeof process.stdin, output as typeof process.stdout);
    output.on("error", (error: Error) => {
      this.broken = error;
      this.unblock?.();
      this.onfault?.(`stdout failed (${error.message}): answers can no longer be written`);
    });
  }

  /** True while stdout is blocked and stdin is not being read. */
  get paused(): boolean {
    return this.blocked !== undefined;
  }

  /** Requests read and not answered yet. */
  get openCount(): number {
    return this.open.size;
  }

  override async start(): Promise<void> {
    // Protocol.connect has set these; every message and error passes here first.
    const deliver: Deliver = this.onmessage;
    const report = this.onerror;
    this.onmessage = (message) => this.receive(message, deliver);
    this.onerror = (error) => {
      this.lastError = error;
      report?.(error);
    };
    await super.start();
  }

  private receive(message: JSONRPCMessage, deliver: Deliver): void {
    if ("method" in message && "id" in message) {
      if (this.stopping) {
        void this.send(refusedWhileStopping(message.id));
        return;
      }
      const name = (message.params as { name?: unknown } | undefined)?.name;
      this.open.set(message.id, {
        id: message.id,
        method: message.method,
        tool: message.method === "tools/call" && typeof name === "string" ? name : undefined,
      });
    }
    deliver?.(message);
  }

  override async send(message: JSONRPCMessage): Promise<void> {
    try {
      while (this.blocked) await this.blocked;
      if (this.broken || this.output.write(serializeMessage(message))) return;
      this.input.pause();
      this.blocked = new Promise((resolve) => {
        this.unblock = () => {
          this.blocked = this.unblock = undefined;
          if (!this.stopping) this.input.resume();
          resolve();
        };
        this.output.once("drain", () => this.unblock?.());
      });
      await this.blocked;
    } finally {
      this.answered(message);
    }
  }

  private answered(message: JSONRPCMessage): void {
    const id = "method" in message || !("id" in message) ? undefined : message.id;
    if (id !== undefined && this.open.delete(id) && this.open.size === 0) {
      for (const done of [...this.waiters]) done();
    }
  }

  /** Takes no new request: each one read from now on is refused; with `read: false` stdin is no longer read. */
  stopTaking({ read }: { read: boolean }): void {
    this.stopping = true;
    if (!read) this.input.pause();
  }

  /** Resolves once every request read has been answered, or after `ms`. */
  settled(ms: number): Promise<void> {
    if (this.open.size === 0 || this.broken) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** The requests still without an answer. */
  unanswered(): OpenRequest[] {
    return [...this.open.values()];
  }

  /** Resolves once everything written to stdout has left, or after `ms` (a client that stopped reading). */
  flush(ms: number): Promise<void> {
    if (this.broken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.output.write("", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The shutdown is done: the next close() closes the channel. */
  allowClose(): void {
    this.closable = true;
  }

  override async close(): Promise<void> {
    if (this.closable) return super.close();
    // The SDK closes the channel itself on a message over its size limit, right after reporting it.
    this.onfault?.(`stdin: ${this.lastError?.message ?? "the channel was closed"}`);
  }
}
