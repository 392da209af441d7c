import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Config } from "../config.js";
import { DEFAULT_TENANT_LIMITS } from "../config.js";
import { log } from "../log.js";
import { createServer, type ServerDeps } from "../mcp/server.js";
import type { Tool } from "../mcp/tool.js";
import type { MocoClient } from "../moco/client.js";
import type { OAuth } from "../oauth/index.js";
import { sendJson } from "../web/respond.js";
import { bearerChecker, hostAllowed, originAllowed } from "./http-guard.js";
import { CREDENTIAL_HEADERS, type MakeClient, TenantClients } from "./http-tenants.js";
import { reportUnfinished } from "./shutdown.js";

/**
 * Streamable HTTP, stateless: every POST /mcp gets a fresh McpServer and transport, closed when
 * the response ends, so any number of instances can sit behind a load balancer. Before MCP sees
 * a request it passes, in order: Host and Origin (403), bearer token (401), method (405), body
 * size (413) and JSON (400); with per-request credentials, the MOCO headers (401/400).
 */
export interface HttpDeps {
  /** One MOCO client for every request, or one per tenant built from each request's own headers. */
  upstream:
    | { kind: "fixed"; moco: MocoClient }
    | { kind: "per-request"; makeClient: MakeClient }
    /** --oauth: OAuth's own paths, and each /mcp request runs with its grant's MOCO key. */
    | { kind: "oauth"; oauth: OAuth; makeClient: MakeClient };
  version: string;
  tools?: readonly Tool[];
  /** The lead mirrors (one per credential scope): handed to every server, never looked into here. */
  mirrors?: ServerDeps["mirrors"];
}

export interface HttpHandle {
  /** Base URL, e.g. http://127.0.0.1:3000; MCP is at `${url}/mcp`. */
  url: string;
  port: number;
  /** Connections open now, and how many were accepted and refused by the caps since start. */
  connections(): { open: number; accepted: number; refused: number };
  /**
   * Stops accepting, lets in-flight requests finish and then writes already sent to MOCO (together
   * at most graceMs), then closes every socket.
   */
  close(graceMs?: number): Promise<void>;
}

const REALM = 'Bearer realm="moco-leads-mcp"';
const CORS_ALLOW_HEADERS =
  "authorization, content-type, accept, last-event-id, mcp-protocol-version, mcp-session-id, x-moco-api-key, x-moco-subdomain, x-moco-base-url";

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** The JSON-RPC error code in the body. */
    readonly code = status >= 500 ? -32603 : -32000,
  ) {
    super(message);
  }
}

/** What the access log says about a request: never headers, never bodies, never credentials. */
type Access = {
  /** Each JSON-RPC message of the body, with its outcome once answered. */
  calls?: Call[];
  tenant?: string;
};

/**
 * JSON-RPC messages per POST at most. Batching left MCP in protocol 2025-06-18 (we negotiate up to
 * 2025-11-25), so a client of those versions sends none; a 2025-03-26 client may, and the SDK would
 * run up to 100 calls (writes included) from one POST. Ten covers any real client.
 */
export const MAX_BATCH = 10;

export async function startHttpServer(config: Config, deps: HttpDeps): Promise<HttpHandle> {
  const http = config.http;
  const { upstream } = deps;
  let tenants: TenantClients | undefined;
  let clientFor: ClientFor;
  if (upstream.kind === "per-request" || upstream.kind === "oauth") {
    const { allowBaseUrlHeader, limits } =
      config.upstream.kind === "per-request"
        ? config.upstream
        : { allowBaseUrlHeader: false, limits: DEFAULT_TENANT_LIMITS };
    tenants = new TenantClients(upstream.makeClient, {
      allowBaseUrlHeader,
      limits,
      rateLimit: config.rateLimit,
    });
    clientFor = upstream.kind === "oauth" ? grantClient(upstream.oauth, tenants) : tenantClient(tenants);
  } else {
    clientFor = fixedClient(upstream.moco);
  }
  const bearerOk = http.token ? bearerChecker(http.token) : undefined;
  // Behind a proxy the public name arrives as Host; it is this server's own.
  const allowedHosts = http.oauth
    ? [...http.allowedHosts, new URL(http.oauth.publicUrl).host]
    : http.allowedHosts;
  let port = 0;
  let inFlight = 0;
  let closing = false;
  const idle: (() => void)[] = [];

  async function handleMcp(req: IncomingMessage, res: ServerResponse, access: Access): Promise<void> {
    if (bearerOk && !bearerOk(req.headers.authorization)) {
      throw new HttpError(
        401,
        "Missing or wrong bearer token: send Authorization: Bearer <MCP_HTTP_TOKEN>.",
        {
          "WWW-Authenticate": REALM,
        },
      );
    }
    if (req.method !== "POST") {
      throw new HttpError(
        405,
        "Method not allowed: this server is stateless and answers POST only (no SSE stream, no sessions).",
        { Allow: "POST, OPTIONS" },
      );
    }
    const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      throw new HttpError(415, "Unsupported Media Type: Content-Type must be application/json.");
    }
    const { moco, readOnly } = await clientFor(req, access);
    const body = await readBody(req, http.maxBodyBytes);
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
          tools: deps.tools?.filter((t) => t.annotations.readOnlyHint),
        })
      : createServer({ moco, mirrors: deps.mirrors, config, version: deps.version, tools: deps.tools });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: http.jsonResponse,
    });
    res.on("close", () => {
      void transport.close().catch(() => {});
      void server.close().catch(() => {});
    });
    if (/\bclose\b/i.test(String(req.headers.connection ?? ""))) honourClose(res);
    await server.connect(transport);
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      record(access.calls, message);
      return send(message, options);
    };
    await transport.handleRequest(req, res, parsed);
  }

  async function route(req: IncomingMessage, res: ServerResponse, access: Access): Promise<void> {
    const path = pathOf(req.url);
    if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      sendJson(res, 200, { status: "ok" });
      return;
    }
    // The OAuth endpoints and pages check their Host against the public URL themselves.
    if (upstream.kind === "oauth" && (await upstream.oauth.handle(req, res))) return;
    if (path !== "/mcp") throw new HttpError(404, "Not found: MCP is served at /mcp.");
    if (!hostAllowed(req.headers.host, { port, bindHost: http.host, allowed: allowedHosts })) {
      throw new HttpError(403, "Forbidden: Host header not allowed (add it to MCP_ALLOWED_HOSTS).");
    }
    const origin = req.headers.origin;
    if (
      !originAllowed(
        origin,
        http.allowedOrigins,
        http.token !== undefined || http.oauth !== undefined,
        req.headers.host,
      )
    ) {
      throw new HttpError(403, "Forbidden: Origin not allowed (add it to MCP_ALLOWED_ORIGINS).");
    }
    if (origin !== undefined) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader(
        "Access-Control-Expose-Headers",
        "mcp-session-id, mcp-protocol-version, www-authenticate",
      );
      res.setHeader("Vary", "Origin");
    }
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
        "Access-Control-Max-Age": "600",
      });
      res.end();
      return;
    }
    await handleMcp(req, res, access);
  }

  const server = createHttpServer(
    {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      keepAliveTimeout: http.keepAliveTimeoutMs,
      // How often those timeouts are checked (default 30 s, which let a slow client keep its socket ~90 s).
      connectionsCheckingInterval: Math.min(1_000, http.headersTimeoutMs),
    },
    (req, res) => {
      const started = performance.now();
      const access: Access = {};
      inFlight++;
      if (closing) res.setHeader("Connection", "close");
      let logged = false;
      const done = () => {
        if (logged) return;
        logged = true;
        inFlight--;
        const ms = Math.round(performance.now() - started);
        const status = res.writableFinished ? res.statusCode : `${res.statusCode} (aborted)`;
        const line = `${req.method} ${pathOf(req.url)} ${status} ${ms}ms`;
        const tenant = access.tenant ? { tenant: access.tenant } : {};
        const calls = access.calls ?? [];
        if (calls.length === 0) log("info", line, access.tenant ? tenant : undefined);
        // One line per call of a batch, so a batch of deletes reads as what it was.
        calls.forEach((c, i) => {
          const batch = calls.length > 1 ? { batch: `${i + 1}/${calls.length}` } : {};
          const tool = c.tool ? { tool: c.tool } : {};
          log("info", line, { rpc: c.rpc, ...tool, outcome: c.outcome, ...batch, ...tenant });
        });
        if (inFlight === 0) for (const fn of idle.splice(0)) fn();
      };
      res.on("close", done);
      route(req, res, access).catch((error: unknown) => {
        if (error instanceof HttpError) {
          sendError(res, error);
          return;
        }
        log("error", `HTTP request failed: ${error instanceof Error ? error.message : String(error)}`);
        sendError(res, new HttpError(500, "Internal error"));
      });
    },
  );
  // Connections beyond the caps are closed at once: one address (or all together) cannot use up
  // the descriptors that clients with a token need.
  server.maxConnections = http.maxConnections;
  const perAddress = new Map<string, number>();
  let refused = 0;
  let accepted = 0;
  server.on("connection", (socket) => {
    const address = socket.remoteAddress ?? "";
    const held = perAddress.get(address) ?? 0;
    if (held >= http.maxConnectionsPerAddress) {
      refused++;
      socket.destroy();
      return;
    }
    perAddress.set(address, held + 1);
    accepted++;
    socket.once("close", () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });
  server.on("drop", () => refused++);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(http.port, http.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const hostForUrl = http.host.includes(":") ? `[${http.host}]` : http.host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    connections: () => ({ open: [...perAddress.values()].reduce((a, b) => a + b, 0), accepted, refused }),
    close(graceMs = 10_000) {
      closed ??= (async () => {
        const until = Date.now() + graceMs;
        closing = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((resolve) => idle.push(resolve)),
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, graceMs);
            }),
          ]);
          clearTimeout(timer);
        }
        server.closeAllConnections();
        await stopped;
        // Tenants' writes already sent run to their answer; the fixed client's owner drains its own.
        if (tenants) reportUnfinished(await tenants.drain(until - Date.now()));
        await tenants?.close();
        if (upstream.kind === "oauth") await upstream.oauth.close();
      })();
      return closed;
    },
  };
}

/** The bin's entry: serve until SIGTERM/SIGINT, then drain, clean up and exit 0. */
export async function serveHttp(config: Config, deps: HttpDeps, cleanup: () => Promise<void>): Promise<void> {
  const handle = await startHttpServer(config, deps);
  const http = config.http;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log("warn", `${signal} again: exiting without waiting for requests`);
      process.exit(1);
    }
    stopping = true;
    log("info", `${signal}: finishing in-flight requests, then exiting`);
    // Should cleanup itself hang, do not outlive the grace periods (requests, then writes) by much.
    setTimeout(() => process.exit(1), 2 * config.shutdownGraceMs + 5_000).unref();
    await handle.close(config.shutdownGraceMs).catch(() => {});
    await cleanup().catch(() => {});
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  const auth = http.oauth
    ? `OAuth (${http.oauth.publicUrl})`
    : http.token
      ? "token required"
      : "none (loopback only)";
  const creds = {
    "per-request": "per request (X-Moco-* headers)",
    oauth: "each person's own, from their grant",
    fixed: "from the environment",
  }[deps.upstream.kind];
  log(
    "info",
    `v${deps.version} ready on ${handle.url}/mcp (stateless${http.jsonResponse ? ", JSON responses" : ""}; auth: ${auth}; MOCO credentials: ${creds}${config.readOnly ? "; read-only" : ""})`,
  );
  const wildcard = ["0.0.0.0", "::", "[::]"].includes(http.host);
  if (wildcard && http.allowedHosts.length === 0) {
    log(
      "warn",
      `bound to ${http.host} but MCP_ALLOWED_HOSTS is empty: only loopback Host headers are accepted; list the names clients use`,
    );
  }
}

type ClientFor = (req: IncomingMessage, access: Access) => Promise<{ moco: MocoClient; readOnly: boolean }>;

function fixedClient(moco: MocoClient): ClientFor {
  return async (req) => {
    // Refuse rather than ignore: the caller believes it works with its own MOCO permissions.
    if (CREDENTIAL_HEADERS.some((h) => req.headers[h] !== undefined)) {
      throw new HttpError(
        400,
        "This server does not take per-request MOCO credentials; drop the X-Moco-* headers.",
      );
    }
    return { moco, readOnly: false };
  };
}

function tenantClient(tenants: TenantClients): ClientFor {
  return async (req, access) => {
    const found = tenants.resolve(req.headers);
    if (!found.ok) {
      const extra: Record<number, Record<string, string>> = {
        401: { "WWW-Authenticate": 'MocoApiKey realm="moco-leads-mcp"' },
        503: { "Retry-After": "60" },
      };
      throw new HttpError(found.status, found.message, extra[found.status] ?? {});
    }
    access.tenant = found.tenant;
    return { moco: found.client, readOnly: false };
  };
}

/** --oauth: the access token names a grant, the grant carries the person's MOCO key. */
function grantClient(oauth: OAuth, tenants: TenantClients): ClientFor {
  return async (req, access) => {
    const auth = await oauth.authenticate(req);
    if (!auth.ok) throw new HttpError(auth.status, auth.message, auth.headers);
    const found = tenants.forAccount(auth.baseUrl, auth.apiKey);
    if (!found.ok)
      throw new HttpError(found.status, found.message, found.status === 503 ? { "Retry-After": "60" } : {});
    access.tenant = found.tenant;
    return { moco: found.client, readOnly: auth.readOnly };
  };
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

interface Call {
  id?: string | number;
  rpc: string;
  tool?: string;
  /** "ok", "tool_error", "error -32602", "notification"; "no answer" until one is sent. */
  outcome: string;
}

/** Each message's method and, for tools/call, tool name, if they look like names (no log injection). */
function describeRpc(body: unknown): Call[] {
  const name = (v: unknown) => (typeof v === "string" && /^[\w./-]{1,64}$/.test(v) ? v : undefined);
  const list = Array.isArray(body) ? body : [body];
  return list.map((m: { id?: unknown; method?: unknown; params?: { name?: unknown } } | null) => {
    const rpc = name(m?.method) ?? "(invalid)";
    const tool = rpc === "tools/call" ? (name(m?.params?.name) ?? "(invalid)") : undefined;
    const id = typeof m?.id === "string" || typeof m?.id === "number" ? m.id : undefined;
    return { id, rpc, ...(tool ? { tool } : {}), outcome: id === undefined ? "notification" : "no answer" };
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

/** Notes the outcome of a call when its answer goes out. */
function record(calls: Call[] | undefined, message: JSONRPCMessage): void {
  if (!calls || !("id" in message)) return;
  const call = calls.find((c) => c.id === message.id && c.outcome === "no answer");
  if (!call) return;
  if ("error" in message) call.outcome = `error ${message.error.code}`;
  else if ("result" in message) call.outcome = message.result.isError === true ? "tool_error" : "ok";
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

function pathOf(url: string | undefined): string {
  const path = (url ?? "/").split("?")[0] as string;
  return path.length > 200 || /[^\x21-\x7e]/.test(path) ? "(unprintable path)" : path;
}

/** Refusals after which the connection is closed, whatever the client still sends. */
const CLOSE_AFTER = new Set([401, 403, 413]);

function sendError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = { ...error.headers };
  // The body may still be on its way, slowly: a client without a token must not hold the socket.
  if (CLOSE_AFTER.has(error.status)) {
    headers.Connection = "close";
    const socket = res.req.socket;
    res.once("finish", () => {
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
  }
  const body = { jsonrpc: "2.0", error: { code: error.code, message: error.message }, id: null };
  sendJson(res, error.status, body, headers);
}
