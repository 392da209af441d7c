import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { oauthOf } from "../../config.js";
import { isLoopback } from "../../web/base-url.js";
import { sendJson } from "../../web/respond.js";
import type { WebhookReceiver } from "../../webhooks/index.js";
import { type Access, pathOf } from "./access-log.js";
import type { Clients } from "./clients.js";
import type { Door } from "./doors.js";
import { HttpError } from "./errors.js";
import { type ExchangeDeps, exchange } from "./exchange.js";

/**
 * Routing and the checks every HTTP request passes before it reaches MCP, in order: Host and Origin
 * against an allow-list (DNS-rebinding protection, 403), bearer token (401), the request's own
 * credentials (an OAuth access token 401, X-Moco-* headers 401/400), method (405) and content type
 * (415); the MCP exchange then checks body size (413) and JSON (400). Each request tells its door
 * what it is: a /mcp request with credentials is claimed while they are checked and admitted once
 * they hold, before its method is looked at; everything else stays public, with a small body.
 */

const REALM = 'Bearer realm="moco-leads-mcp"';
const CORS_ALLOW_HEADERS =
  "authorization, content-type, accept, last-event-id, mcp-protocol-version, mcp-session-id, x-moco-api-key, x-moco-subdomain, x-moco-base-url";

export interface RouterOptions extends ExchangeDeps {
  /** Where each request's MOCO client comes from; with --oauth, the front door too. */
  clients: Clients;
  /** The port listened on (known after listen, matters with port 0). */
  port: () => number;
  /** POST /webhooks/moco, when MOCO_WEBHOOK_SECRET is set: public, it checks MOCO's signature itself. */
  webhooks?: WebhookReceiver;
}

export type Route = (req: IncomingMessage, res: ServerResponse, access: Access, door: Door) => Promise<void>;

/** The largest body a public request may declare: a sign-in form or a token request is a few KB at most. */
const PUBLIC_BODY_LIMITS: Record<string, number> = {
  "/oauth/sign-in": 8 * 1024,
  "/oauth/consent": 8 * 1024,
  "/token": 8 * 1024,
  "/revoke": 8 * 1024,
  "/register": 16 * 1024,
  // A signed delivery from MOCO carries a whole lead (its description may be long); the receiver checks
  // the signature and its own cap before it reads, so an unsigned flood still costs no body.
  "/webhooks/moco": 256 * 1024,
};
const OTHER_PUBLIC_BODY_LIMIT = 1024;

export function router(options: RouterOptions): Route {
  const { http } = options.config;
  const { oauth } = options.clients;
  const front = oauthOf(options.config.upstream);
  const bearerOk = http.token ? bearerChecker(http.token) : undefined;
  // Behind a proxy the public name arrives as Host; it is this server's own.
  const allowedHosts = front ? [...http.allowedHosts, new URL(front.publicUrl).host] : http.allowedHosts;
  const guarded = http.token !== undefined || front !== undefined;
  return async (req, res, access, door) => {
    const path = pathOf(req.url);
    // /mcp without credentials is public too, and answered 401 (connection closed) before its body is read.
    if (path !== "/mcp") checkPublicBody(req, path);
    else if (!guarded)
      door.admit(); // no token to check (loopback only): every /mcp request is a client's
    else if (req.headers.authorization !== undefined) door.claim();
    if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      sendJson(res, 200, { status: "ok" });
      return;
    }
    if (path === "/readyz" && (req.method === "GET" || req.method === "HEAD")) {
      const problem = await notReady(options.mirrors);
      sendJson(
        res,
        problem ? 503 : 200,
        problem ? { status: "unavailable", reason: problem } : { status: "ready" },
      );
      return;
    }
    if (path === "/webhooks/moco" && options.webhooks) return options.webhooks.handle(req, res);
    // The OAuth endpoints and pages check their Host against the public URL themselves.
    if (oauth && (await oauth.handle(req, res))) return;
    if (path !== "/mcp") throw new HttpError(404, "Not found: MCP is served at /mcp.");
    if (
      !hostAllowed(req.headers.host, { port: options.port(), bindHost: http.host, allowed: allowedHosts })
    ) {
      throw new HttpError(403, "Forbidden: Host header not allowed (add it to MCP_ALLOWED_HOSTS).");
    }
    const origin = req.headers.origin;
    if (!originAllowed(origin, http.allowedOrigins, guarded, req.headers.host)) {
      throw new HttpError(403, "Forbidden: Origin not allowed (add it to MCP_ALLOWED_ORIGINS).");
    }
    if (origin !== undefined) allowOrigin(res, origin);
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
        "Access-Control-Max-Age": "600",
      });
      res.end();
      return;
    }
    if (bearerOk && !bearerOk(req.headers.authorization)) {
      throw new HttpError(
        401,
        "Missing or wrong bearer token: send Authorization: Bearer <MCP_HTTP_TOKEN>.",
        {
          "WWW-Authenticate": REALM,
        },
      );
    }
    // Checked once, here, and the client handed on. Once the credentials held (MCP_HTTP_TOKEN above,
    // an OAuth access token here) this is a token holder's socket, even when this request is refused
    // (an SDK client's GET, 405): a burst of public connections never closes it idle under the client's next call.
    const client = await options.clients.clientFor(req, access);
    door.admit();
    checkPost(req);
    await exchange(req, res, access, options, client);
  };
}

/** Why this instance cannot serve yet (its lead store), or undefined; no store (off) is ready. Never asks MOCO. */
async function notReady(mirrors: RouterOptions["mirrors"]): Promise<string | undefined> {
  if (!mirrors) return undefined;
  const registry = await mirrors();
  return registry ? registry.ready() : "lead store unavailable";
}

/** A public request declares its length, and a small one (413, and the connection closed, otherwise). */
function checkPublicBody(req: IncomingMessage, path: string): void {
  const limit = PUBLIC_BODY_LIMITS[path] ?? OTHER_PUBLIC_BODY_LIMIT;
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw new HttpError(413, `Request body too large: the limit here is ${limit} bytes.`);
}

function allowOrigin(res: ServerResponse, origin: string): void {
  res.setHeader("Access-Control-Allow-Origin", origin);
  res.setHeader("Access-Control-Expose-Headers", "mcp-session-id, mcp-protocol-version, www-authenticate");
  res.setHeader("Vary", "Origin");
}

/** Stateless: POST with a JSON body, nothing else. */
function checkPost(req: IncomingMessage): void {
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
}

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/** Compares over SHA-256 digests, so neither the content nor the length of the token leaks through timing. */
export function bearerChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
    return timingSafeEqual(digest(match?.[1] ?? ""), expected) && match !== null;
  };
}

// A Host header is a name or an IP literal with an optional port, nothing else: no userinfo,
// no path. Anything looser lets "evil.test@127.0.0.1" style values fool a URL parser.
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;

export interface HostPolicy {
  /** The port the server actually listens on (known after listen, matters with port 0). */
  port: number;
  /** The address bound; an IP literal other than a wildcard is accepted as a Host too. */
  bindHost: string;
  /** MCP_ALLOWED_HOSTS: "name" (any port) or "name:port" (exactly). */
  allowed: readonly string[];
}

export function hostAllowed(header: string | undefined, policy: HostPolicy): boolean {
  if (!header) return false;
  const value = header.trim().toLowerCase();
  const m = HOST.exec(value);
  if (!m) return false;
  const name = m[1] as string;
  const port = m[2] === undefined ? 80 : Number(m[2]);
  for (const entry of policy.allowed) {
    const e = entry.toLowerCase();
    if (e === value || e === name) return true;
  }
  if (port !== policy.port) return false;
  if (isLoopback(name)) return true;
  const bound = policy.bindHost.toLowerCase();
  const wildcard = bound === "0.0.0.0" || bound === "::" || bound === "[::]";
  return !wildcard && (name === bound || name === `[${bound}]`);
}

/**
 * Browsers send Origin on cross-site requests; non-browser clients usually do not. An absent
 * Origin is fine, and so is this server's own loopback origin (it serves no pages, so no page can
 * have it). Any other must be listed, or be a loopback page while a token guards the server —
 * without a token any page some other local app serves could otherwise call the tools.
 */
export function originAllowed(
  header: string | undefined,
  allowed: readonly string[],
  loopbackPages: boolean,
  ownHost?: string,
): boolean {
  if (header === undefined) return true;
  let url: URL;
  try {
    url = new URL(header);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  if (allowed.some((entry) => normalizeOrigin(entry) === url.origin)) return true;
  if (!isLoopback(url.hostname)) return false;
  return loopbackPages || (ownHost !== undefined && url.host === ownHost.toLowerCase());
}

function normalizeOrigin(entry: string): string {
  try {
    return new URL(entry).origin;
  } catch {
    return entry;
  }
}
