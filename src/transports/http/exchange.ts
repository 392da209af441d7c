import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";
import type { HttpConfig } from "../../config.js";
import { createServer, type ServerDeps } from "../../mcp/server.js";
import type { Tool } from "../../mcp/tool.js";
import { type Access, type Call, describeRpc, record } from "./access-log.js";
import type { RequestClient } from "./clients.js";
import { HttpError } from "./errors.js";

/**
 * The MCP exchange of one POST /mcp, stateless: the body read (size-capped) and parsed, then a fresh
 * McpServer and SDK transport that answer it and are closed when the response ends. The router has
 * checked the request's credentials and hands over the MOCO client they name.
 */
export interface ExchangeDeps {
  config: HttpConfig;
  version: string;
  tools: readonly Tool[];
  /** The lead mirrors (one per credential scope): handed to every server, never looked into here. */
  mirrors?: ServerDeps["mirrors"];
}

/**
 * JSON-RPC messages per POST at most. Batching left MCP in protocol 2025-06-18 (we negotiate up to
 * 2025-11-25), so a client of those versions sends none; a 2025-03-26 client may, and the SDK would
 * run up to 100 calls (writes included) from one POST. Ten covers any real client.
 */
export const MAX_BATCH = 10;

export async function exchange(
  req: IncomingMessage,
  res: ServerResponse,
  access: Access,
  deps: ExchangeDeps,
  { moco, readOnly }: RequestClient,
): Promise<void> {
  const { config } = deps;
  const body = await readBody(req, config.http.maxBodyBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "Parse error: the body is not valid JSON.", {}, -32700);
  }
  if (Array.isArray(parsed)) checkBatch(parsed, req.headers["mcp-protocol-version"]);
  access.calls = describeRpc(parsed);
  scrubSecrets(req);
  // A read-only grant: no tool that writes, whatever the server itself offers.
  const server = readOnly
    ? createServer({
        mirrors: deps.mirrors,
        moco,
        config: { ...config, readOnly: true },
        version: deps.version,
        tools: deps.tools.filter((t) => t.annotations.readOnlyHint),
      })
    : createServer({ moco, mirrors: deps.mirrors, config, version: deps.version, tools: deps.tools });
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: config.http.jsonResponse,
  });
  res.on("close", () => {
    void transport.close().catch(() => {});
    void server.close().catch(() => {});
  });
  if (/\bclose\b/i.test(String(req.headers.connection ?? ""))) honourClose(res);
  await server.connect(new Recorded(transport, access.calls));
  await transport.handleRequest(req, res, parsed);
}

/**
 * The SDK's transport as the McpServer sees it, noting each answer's outcome for the access log on
 * its way out. Everything else passes through unchanged, through the Transport interface only.
 */
class Recorded implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  constructor(
    private readonly inner: Transport,
    private readonly calls: Call[],
  ) {
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => this.onmessage?.(message, extra);
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    record(this.calls, message);
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Reads at most `limit` bytes, counting what arrives rather than trusting Content-Length. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `Request body too large: the limit is ${limit} bytes.`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return; // keep draining so the client can read our 413
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    req.on("end", () => {
      ended = true;
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
    // A client that hangs up mid-body: nothing is left to answer, but the handler must not wait forever.
    req.on("close", () => {
      if (!ended && !over) reject(new HttpError(400, "The request body was cut off."));
    });
  });
}

function checkBatch(batch: unknown[], protocolHeader: string | string[] | undefined): void {
  const version = String(protocolHeader ?? "");
  if (version >= "2025-06-18") {
    throw new HttpError(
      400,
      `Invalid Request: protocol ${version} has no JSON-RPC batches; send one message per request.`,
      {},
      -32600,
    );
  }
  if (batch.length > MAX_BATCH) {
    throw new HttpError(
      400,
      `Invalid Request: a batch may hold at most ${MAX_BATCH} messages; send the rest in further requests.`,
      {},
      -32600,
    );
  }
}

/**
 * The SDK writes "Connection: keep-alive" on every SSE reply; a client that asked for close gets it,
 * and the socket is released when the reply ends.
 */
function honourClose(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    for (const arg of rest) {
      if (arg && typeof arg === "object" && !Array.isArray(arg)) {
        for (const key of Object.keys(arg))
          if (key.toLowerCase() === "connection") delete (arg as Record<string, unknown>)[key];
      }
    }
    res.setHeader("Connection", "close");
    return writeHead(status, ...rest);
  }) as typeof res.writeHead;
}

/**
 * The SDK hands every request header to tool handlers (extra.requestInfo). Credentials have done
 * their job by now, so they go, and no handler or future log line can see them.
 */
function scrubSecrets(req: IncomingMessage): void {
  const secret = new Set(["authorization", "x-moco-api-key"]);
  const raw = req.rawHeaders;
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!secret.has((raw[i] as string).toLowerCase())) kept.push(raw[i] as string, raw[i + 1] as string);
  }
  raw.splice(0, raw.length, ...kept);
  for (const name of secret) delete req.headers[name];
}
