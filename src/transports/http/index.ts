import type { Config } from "../../config.js";
import { DEFAULT_TENANT_LIMITS } from "../../config.js";
import { log } from "../../log.js";
import type { ServerDeps } from "../../mcp/server.js";
import type { Tool } from "../../mcp/tool.js";
import type { MocoClient } from "../../moco/client.js";
import type { OAuth } from "../../oauth/index.js";
import { reportUnfinished } from "../shutdown.js";
import { logAccess } from "./access-log.js";
import { type ClientFor, fixedClient, grantClient, tenantClient } from "./clients.js";
import { HttpError, sendError } from "./errors.js";
import { listen } from "./listen.js";
import { router } from "./routes.js";
import { type MakeClient, TenantClients } from "./tenants.js";

export { MAX_BATCH } from "./exchange.js";

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

export async function startHttpServer(config: Config, deps: HttpDeps): Promise<HttpHandle> {
  const { upstream } = deps;
  const { clientFor, tenants } = clientsFor(config, upstream);
  let port = 0;
  const route = router({
    ...deps,
    config,
    clientFor,
    http: config.http,
    oauth: upstream.kind === "oauth" ? upstream.oauth : undefined,
    port: () => port,
  });
  const listener = await listen(config.http, (req, res) => {
    const access = logAccess(req, res);
    route(req, res, access).catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendError(res, error);
        return;
      }
      log("error", `HTTP request failed: ${error instanceof Error ? error.message : String(error)}`);
      sendError(res, new HttpError(500, "Internal error"));
    });
  });
  port = listener.port;
  let closed: Promise<void> | undefined;
  return {
    url: listener.url,
    port,
    connections: listener.connections,
    close(graceMs = 10_000) {
      closed ??= (async () => {
        const until = Date.now() + graceMs;
        await listener.close(graceMs);
        // Tenants' writes already sent run to their answer; the fixed client's owner drains its own.
        if (tenants) reportUnfinished(await tenants.drain(until - Date.now()));
        await tenants?.close();
        if (upstream.kind === "oauth") await upstream.oauth.close();
      })();
      return closed;
    },
  };
}

function clientsFor(
  config: Config,
  upstream: HttpDeps["upstream"],
): { clientFor: ClientFor; tenants?: TenantClients } {
  if (upstream.kind === "fixed") return { clientFor: fixedClient(upstream.moco) };
  const { allowBaseUrlHeader, limits } =
    config.upstream.kind === "per-request"
      ? config.upstream
      : { allowBaseUrlHeader: false, limits: DEFAULT_TENANT_LIMITS };
  const tenants = new TenantClients(upstream.makeClient, {
    allowBaseUrlHeader,
    limits,
    rateLimit: config.rateLimit,
  });
  const clientFor = upstream.kind === "oauth" ? grantClient(upstream.oauth, tenants) : tenantClient(tenants);
  return { clientFor, tenants };
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
