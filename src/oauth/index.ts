import type { IncomingMessage, ServerResponse } from "node:http";
import { createOAuthMetadata, mcpAuthRouter } from "@modelcontextprotocol/sdk/server/auth/router.js";
import express, { type NextFunction, type Request, type Response } from "express";
import { log } from "../log.js";
import { pool } from "../moco/client.js";
import { type Authenticated, bearerCheck, type Refused } from "./bearer.js";
import { Keyring } from "./crypto.js";
import { SignInFlow } from "./flow.js";
import { Grants } from "./grants.js";
import { sendJson } from "./http-util.js";
import { type OAuthOptions, resolveOptions, SCOPES } from "./options.js";
import { ClientsStore, Provider } from "./provider.js";
import { SqliteGrantStore } from "./sqlite-store.js";
import type { GrantStore } from "./store.js";

/**
 * OAuth for --transport http --oauth: this server is the authorization server (RFC 8414, the
 * SDK's handlers behind our provider) and the resource server (RFC 9728 metadata, bearer check)
 * for its own /mcp. The HTTP transport calls handle() first and authenticate() before MCP.
 * Import this module lazily: nothing of it (Express included) should load without --oauth.
 */

export type { Authenticated, Refused } from "./bearer.js";
export type { OAuthOptions } from "./options.js";
export { secretsFromEnv } from "./options.js";
export { SqliteGrantStore } from "./sqlite-store.js";
export type { GrantStore } from "./store.js";

export interface OAuth {
  /** Serves the OAuth paths; false (nothing written) for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  authenticate(req: IncomingMessage): Promise<Authenticated | Refused>;
  /** The paths handle() serves, for logs and docs. */
  readonly paths: readonly string[];
  /** For tests and operators: the store behind it. */
  readonly store: GrantStore;
  close(): Promise<void>;
}

const PATHS = [
  "/.well-known/oauth-protected-resource",
  "/.well-known/oauth-protected-resource/mcp",
  "/.well-known/oauth-authorization-server",
  "/authorize",
  "/token",
  "/register",
  "/revoke",
  "/oauth/sign-in",
  "/oauth/consent",
] as const;
const EXPRESS_PATHS = new Set(["/authorize", "/token", "/register", "/revoke"]);
const BODY_LIMIT = 64 * 1024;

export async function createOAuth(options: OAuthOptions): Promise<OAuth> {
  const o = resolveOptions(options);
  const keys = new Keyring(options.secrets);
  const store =
    "sqlitePath" in options.store ? new SqliteGrantStore(options.store.sqlitePath) : options.store;
  const upstream = pool(16, 10_000);
  const grants = new Grants(store, keys, o);
  const clients = new ClientsStore(
    store,
    keys,
    { extra: options.redirectUris ?? [], loopback: options.allowLoopbackRedirects ?? true },
    options.maxClients ?? 1000,
    o.now,
  );
  const flow = new SignInFlow({
    store,
    keys,
    grants,
    clients: () => clients,
    o,
    subdomains: options.subdomains,
    loopbackBaseUrl: options.loopbackBaseUrl,
    readOnly: options.readOnly ?? false,
    userAgent: options.userAgent,
    requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
    pool: upstream,
    signInsPer15Minutes: options.signInsPer15Minutes ?? 20,
    trustProxy: options.trustProxy,
  });
  const provider = new Provider(clients, grants, flow, o);

  await reseal(store, keys);
  const purge = () =>
    store
      .purge(o.now(), o.now() - o.codeTtlMs)
      .catch((e: unknown) => log("warn", `oauth: purge failed: ${String(e)}`));
  await purge();
  const timer = setInterval(purge, 10 * 60_000);
  timer.unref();

  const issuerUrl = new URL(o.origin);
  const asMetadata = {
    ...createOAuthMetadata({ provider, issuerUrl, scopesSupported: [...SCOPES] }),
    // Public clients (claude.ai, ChatGPT) revoke with their client_id alone.
    revocation_endpoint_auth_methods_supported: ["client_secret_post", "none"],
    client_id_metadata_document_supported: false,
  };
  const prm = {
    resource: o.resource,
    authorization_servers: [asMetadata.issuer],
    scopes_supported: [...SCOPES],
    bearer_methods_supported: ["header"],
    resource_name: "MOCO Leads",
  };

  const app = express();
  app.disable("x-powered-by");
  if (options.trustProxy !== undefined) app.set("trust proxy", options.trustProxy);
  app.use(
    mcpAuthRouter({
      provider,
      issuerUrl,
      scopesSupported: [...SCOPES],
      resourceServerUrl: new URL(o.resource),
      resourceName: "MOCO Leads",
      clientRegistrationOptions: {
        clientSecretExpirySeconds: 0,
        rateLimit: { windowMs: 3600_000, limit: options.registrationsPerHour ?? 60 },
      },
      // claude.ai and ChatGPT call /token from a few egress addresses for every person of a team.
      tokenOptions: {
        rateLimit: { windowMs: 15 * 60_000, limit: options.tokenRequestsPer15Minutes ?? 1000 },
      },
    }),
  );
  // Express's own error page would log the stack (with parts of the body); answer plainly instead.
  app.use((error: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    sendJson(res, status, { error: status === 500 ? "server_error" : "invalid_request" });
  });

  const hostOk = (host: string | undefined) =>
    host !== undefined &&
    [o.host, ...(options.allowedHosts ?? [])].some((h) => h.toLowerCase() === host.toLowerCase());

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? "/").split("?")[0] as string;
    if (!(PATHS as readonly string[]).includes(path)) return false;
    if (!hostOk(req.headers.host)) {
      sendJson(res, 403, { error: "invalid_request", error_description: "Host not allowed" });
      return true;
    }
    if (path.startsWith("/.well-known/")) {
      const cors = { "Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=300" };
      if (req.method === "OPTIONS") {
        res.writeHead(204, {
          ...cors,
          "Access-Control-Allow-Methods": "GET",
          "Access-Control-Allow-Headers": "*",
        });
        res.end();
      } else if (req.method !== "GET" && req.method !== "HEAD") {
        sendJson(res, 405, { error: "method_not_allowed" }, { Allow: "GET" });
      } else {
        sendJson(res, 200, path.includes("protected-resource") ? prm : asMetadata, cors);
      }
      return true;
    }
    if (path.startsWith("/oauth/")) {
      if (req.method !== "POST") {
        sendJson(res, 405, { error: "method_not_allowed" }, { Allow: "POST" });
      } else if (path === "/oauth/sign-in") {
        await flow.handleSignIn(req, res);
      } else {
        await flow.handleConsent(req, res);
      }
      return true;
    }
    if (EXPRESS_PATHS.has(path)) {
      if (Number(req.headers["content-length"]) > BODY_LIMIT) {
        sendJson(
          res,
          413,
          { error: "invalid_request", error_description: "Request body too large" },
          { Connection: "close" },
        );
        return true;
      }
      await new Promise<void>((resolve) => {
        res.once("close", resolve);
        app(req, res, () => {
          sendJson(res, 404, { error: "not_found" });
        });
      });
    }
    return true;
  }

  const authenticate = bearerCheck(grants, keys, store, o);

  return {
    handle,
    authenticate,
    paths: PATHS,
    store,
    async close() {
      clearInterval(timer);
      await upstream.close(false);
      await store.close();
    },
  };
}

/** Seals every stored MOCO key under the current secret, so an old secret can be dropped. */
async function reseal(store: GrantStore, keys: Keyring): Promise<void> {
  let count = 0;
  for (const grant of await store.listGrants()) {
    if (!keys.isStale(grant.keySealed)) continue;
    const key = keys.open(grant.keySealed, `grant:${grant.id}`);
    if (key === undefined) continue;
    await store.resealGrant(grant.id, keys.seal(key, `grant:${grant.id}`));
    count++;
  }
  if (count > 0) log("info", `oauth: ${count} stored MOCO keys sealed anew under the current secret`);
}
