import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Config } from "../config.js";
import { log } from "../log.js";
import type { MocoClient } from "../moco/client.js";
import { createServer } from "../server.js";
import type { Tool } from "../tool.js";
import { bearerChecker, hostAllowed, originAllowed } from "./http-guard.js";
import { CREDENTIAL_HEADERS, type MakeClient, TenantClients } from "./http-tenants.js";

/**
 * Streamable HTTP, stateless: every POST /mcp gets a fresh McpServer and transport, closed when
 * the response ends, so any number of instances can sit behind a load balancer. Before MCP sees
 * a request it passes, in order: Host and Origin (403), bearer token (401), method (405), body
 * size (413) and JSON (400); with per-request credentials, the MOCO headers (401/400).
 */
export interface HttpDeps {
  /** One MOCO client for every request, or one per tenant built from each request's own headers. */
  upstream: { kind: "fixed"; moco: MocoClient } | { kind: "per-request"; makeClient: MakeClient };
  version: string;
  tools?: readonly Tool[];
}

export interface HttpHandle {
  /** Base URL, e.g. http://127.0.0.1:3000; MCP is at `${url}/mcp`. */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (at most graceMs), then closes every socket. */
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
  rpc?: string;
  tool?: string;
  tenant?: string;
};

export async function startHttpServer(config: Config, deps: HttpDeps): Promise<HttpHandle> {
  const http = config.http;
  const { upstream } = deps;
  let tenants: TenantClients | undefined;
  let clientFor: ClientFor;
  if (upstream.kind === "per-request") {
    const allowBaseUrlHeader = config.upstream.kind === "per-request" && config.upstream.allowBaseUrlHeader;
    tenants = new TenantClients(upstream.makeClient, { allowBaseUrlHeader });
    clientFor = tenantClient(tenants);
  } else {
    clientFor = fixedClient(upstream.moco);
  }
  const bearerOk = http.token ? bearerChecker(http.token) : undefined;
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
    const moco = clientFor(req, access);
    const body = await readBody(req, http.maxBodyBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw new HttpError(400, "Parse error: the body is not valid JSON.", {}, -32700);
    }
    Object.assign(access, describeRpc(parsed));
    scrubSecrets(req);
    const server = createServer({ moco, config, version: deps.version, tools: deps.tools });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: http.jsonResponse,
    });
    res.on("close", () => {
      void transport.close().catch(() => {});
      void server.close().catch(() => {});
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, parsed);
  }

  async function route(req: IncomingMessage, res: ServerResponse, access: Access): Promise<void> {
    const path = pathOf(req.url);
    if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      send(res, 200, { status: "ok" });
      return;
    }
    if (path !== "/mcp") throw new HttpError(404, "Not found: MCP is served at /mcp.");
    if (!hostAllowed(req.headers.host, { port, bindHost: http.host, allowed: http.allowedHosts })) {
      throw new HttpError(403, "Forbidden: Host header not allowed (add it to MCP_ALLOWED_HOSTS).");
    }
    const origin = req.headers.origin;
    if (!originAllowed(origin, http.allowedOrigins, http.token !== undefined, req.headers.host)) {
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

  const server = createHttpServer((req, res) => {
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
      // Fixed key order, absent keys left out: one grep-able shape per line.
      const fields = Object.fromEntries(
        (["rpc", "tool", "tenant"] as const).flatMap((k) => (access[k] ? [[k, access[k]]] : [])),
      );
      log(
        "info",
        `${req.method} ${pathOf(req.url)} ${status} ${ms}ms`,
        Object.keys(fields).length > 0 ? fields : undefined,
      );
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
  });
  // Slow clients may not hold sockets open forever while sending headers or a body.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

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
    close(graceMs = 10_000) {
      closed ??= (async () => {
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
        await tenants?.close();
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
    // Should cleanup itself hang, do not outlive the grace period by much.
    setTimeout(() => process.exit(1), 15_000).unref();
    await handle.close(10_000).catch(() => {});
    await cleanup().catch(() => {});
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  const auth = http.token ? "token required" : "none (loopback only)";
  const creds =
    deps.upstream.kind === "per-request" ? "per request (X-Moco-* headers)" : "from the environment";
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

type ClientFor = (req: IncomingMessage, access: Access) => MocoClient;

function fixedClient(moco: MocoClient): ClientFor {
  return (req) => {
    // Refuse rather than ignore: the caller believes it works with its own MOCO permissions.
    if (CREDENTIAL_HEADERS.some((h) => req.headers[h] !== undefined)) {
      throw new HttpError(
        400,
        "This server does not take per-request MOCO credentials; drop the X-Moco-* headers.",
      );
    }
    return moco;
  };
}

function tenantClient(tenants: TenantClients): ClientFor {
  return (req, access) => {
    const found = tenants.resolve(req.headers);
    if (!found.ok) {
      const challenge = { "WWW-Authenticate": 'MocoApiKey realm="moco-leads-mcp"' };
      throw new HttpError(found.status, found.message, found.status === 401 ? challenge : {});
    }
    access.tenant = found.tenant;
    return found.client;
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

/** The JSON-RPC method and, for tools/call, the tool name, if they look like names (no log injection). */
function describeRpc(body: unknown): Access {
  const first = (Array.isArray(body) ? body[0] : body) as { method?: unknown; params?: { name?: unknown } };
  const name = (v: unknown) => (typeof v === "string" && /^[\w./-]{1,64}$/.test(v) ? v : undefined);
  const rpc = name(first?.method);
  const tool = rpc === "tools/call" ? name(first?.params?.name) : undefined;
  return { ...(rpc ? { rpc } : {}), ...(tool ? { tool } : {}) };
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

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = { ...error.headers };
  // After a 413 the rest of the body is still on its way; do not reuse this connection.
  if (error.status === 413) headers.Connection = "close";
  const body = { jsonrpc: "2.0", error: { code: error.code, message: error.message }, id: null };
  send(res, error.status, body, headers);
}
