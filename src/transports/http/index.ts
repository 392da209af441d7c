import { type HttpConfig, oauthOf } from "../../config.js";
import { log } from "../../log.js";
import type { ServerDeps } from "../../mcp/server.js";
import type { Tool } from "../../mcp/tool.js";
import { logAccess } from "./access-log.js";
import type { Clients } from "./clients.js";
import type { DoorCounts } from "./doors.js";
import { HttpError, sendError } from "./errors.js";
import { listen } from "./listen.js";
import { type RouterOptions, router } from "./routes.js";

export { type Clients, grantClients, headerClients, ownClient } from "./clients.js";
export { MAX_BATCH } from "./exchange.js";
export type { MakeClient } from "./tenants.js";

/**
 * Streamable HTTP, stateless: every POST /mcp gets a fresh McpServer and transport, closed when
 * the response ends, so any number of instances can sit behind a load balancer. Before MCP sees
 * a request it passes, in order: Host and Origin (403), bearer token (401), the request's own
 * credentials (an OAuth access token 401, the MOCO headers 401/400), method (405), body size (413)
 * and JSON (400).
 */
export interface HttpDeps {
  /** Where each request's MOCO client comes from: made for config.upstream by ownClient, headerClients or grantClients. */
  clients: Clients;
  version: string;
  /** The tools the server offers (selected by the composition root). */
  tools: readonly Tool[];
  /** The lead mirrors (one per credential scope): handed to every server, never looked into here. */
  mirrors?: ServerDeps["mirrors"];
  /** MOCO's webhooks (POST /webhooks/moco), when configured. */
  webhooks?: RouterOptions["webhooks"];
}

export interface HttpHandle {
  /** Base URL, e.g. http://127.0.0.1:3000; MCP is at `${url}/mcp`. */
  url: string;
  port: number;
  /**
   * Connections open now (public and authenticated), and since start how many were accepted, refused
   * at once, or closed later to make room.
   */
  connections(): DoorCounts;
  /**
   * Stops accepting, lets in-flight requests finish and then writes already sent to MOCO (together
   * at most graceMs), then closes every socket.
   */
  close(graceMs?: number): Promise<void>;
}

export async function startHttpServer(config: HttpConfig, deps: HttpDeps): Promise<HttpHandle> {
  let port = 0;
  const route = router({ ...deps, config, port: () => port });
  const listener = await listen(
    config.http,
    (req, res, door) => {
      const access = logAccess(req, res);
      route(req, res, access, door).catch((error: unknown) => {
        if (error instanceof HttpError) {
          sendError(res, error);
          return;
        }
        // Answered already (408: the body came too slowly), and reading the rest failed: nothing to add.
        if (res.writableEnded) return;
        // The connection went (closed to make room, or by the client) before the body was in: nobody to tell.
        if (req.socket.destroyed && !req.complete) return;
        log("error", `HTTP request failed: ${error instanceof Error ? error.message : String(error)}`);
        sendError(res, new HttpError(500, "Internal error"));
      });
    },
    (res) => sendError(res, new HttpError(408, "Request Timeout: the body of this request came too slowly.")),
    (res) =>
      sendError(
        res,
        new HttpError(503, "Service Unavailable: too many connections; try again in a second.", {
          "Retry-After": "1",
          Connection: "close",
        }),
      ),
  );
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
        await deps.clients.close(until);
      })();
      return closed;
    },
  };
}

/** The bin's entry: serve until SIGTERM/SIGINT, then drain, clean up and exit 0. */
export async function serveHttp(
  config: HttpConfig,
  deps: HttpDeps,
  cleanup: () => Promise<void>,
): Promise<void> {
  const handle = await startHttpServer(config, deps);
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
  log("info", `v${deps.version} ready on ${handle.url}/mcp (${describe(config)})`);
  const { host, allowedHosts } = config.http;
  if (["0.0.0.0", "::", "[::]"].includes(host) && allowedHosts.length === 0) {
    log(
      "warn",
      `bound to ${host} but MCP_ALLOWED_HOSTS is empty: only loopback Host headers are accepted; list the names clients use`,
    );
  }
}

/** The ready line's summary: how clients authenticate, and whose MOCO key a request uses. */
function describe(config: HttpConfig): string {
  const { http, upstream } = config;
  const front = oauthOf(upstream);
  const auth = front ? `OAuth (${front.publicUrl})` : http.token ? "token required" : "none (loopback only)";
  const creds =
    upstream.kind === "per-request"
      ? "per request (X-Moco-* headers)"
      : front
        ? "each person's own, from their grant"
        : "from the environment";
  return `stateless${http.jsonResponse ? ", JSON responses" : ""}; auth: ${auth}; MOCO credentials: ${creds}${config.readOnly ? "; read-only" : ""}`;
}
