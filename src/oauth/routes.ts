import type { IncomingMessage, ServerResponse } from "node:http";
import { createOAuthMetadata, mcpAuthRouter } from "@modelcontextprotocol/sdk/server/auth/router.js";
import express, { type Application, type NextFunction, type Request, type Response } from "express";
import type { SignInFlow } from "./flow.js";
import { sendJson } from "./http-util.js";
import { type OAuthOptions, type Resolved, SCOPES } from "./options.js";
import type { Provider } from "./provider.js";

/**
 * The OAuth paths and who answers them: the discovery documents here, the person's forms in the
 * sign-in flow, /authorize, /token, /register and /revoke in the SDK's handlers (Express).
 */

export const PATHS = [
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

/** RFC 8414 authorization server metadata and RFC 9728 protected resource metadata. */
export function discovery(provider: Provider, o: Resolved) {
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
  return { asMetadata, prm };
}

/** The SDK's authorization-server handlers, mounted on an Express app of their own. */
export function sdkApp(provider: Provider, o: Resolved, options: OAuthOptions): Application {
  const app = express();
  app.disable("x-powered-by");
  if (options.trustProxy !== undefined) app.set("trust proxy", options.trustProxy);
  app.use(
    mcpAuthRouter({
      provider,
      issuerUrl: new URL(o.origin),
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
  return app;
}

export interface RouteDeps {
  o: Resolved;
  allowedHosts: readonly string[];
  documents: ReturnType<typeof discovery>;
  flow: SignInFlow;
  app: Application;
}

/** handle(): serves the OAuth paths; false (nothing written) for any other path. */
export function router(d: RouteDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const hostOk = (host: string | undefined) =>
    host !== undefined && [d.o.host, ...d.allowedHosts].some((h) => h.toLowerCase() === host.toLowerCase());

  return async function handle(req, res) {
    const path = (req.url ?? "/").split("?")[0] as string;
    if (!(PATHS as readonly string[]).includes(path)) return false;
    if (!hostOk(req.headers.host)) {
      sendJson(res, 403, { error: "invalid_request", error_description: "Host not allowed" });
    } else if (path.startsWith("/.well-known/")) {
      wellKnown(req, res, path, d.documents);
    } else if (path.startsWith("/oauth/")) {
      if (req.method !== "POST") {
        sendJson(res, 405, { error: "method_not_allowed" }, { Allow: "POST" });
      } else if (path === "/oauth/sign-in") {
        await d.flow.handleSignIn(req, res);
      } else {
        await d.flow.handleConsent(req, res);
      }
    } else if (EXPRESS_PATHS.has(path)) {
      await sdkPath(req, res, d.app);
    }
    return true;
  };
}

function wellKnown(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  documents: ReturnType<typeof discovery>,
): void {
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
    sendJson(res, 200, path.includes("protected-resource") ? documents.prm : documents.asMetadata, cors);
  }
}

async function sdkPath(req: IncomingMessage, res: ServerResponse, app: Application): Promise<void> {
  if (Number(req.headers["content-length"]) > BODY_LIMIT) {
    sendJson(
      res,
      413,
      { error: "invalid_request", error_description: "Request body too large" },
      { Connection: "close" },
    );
    return;
  }
  await new Promise<void>((resolve) => {
    res.once("close", resolve);
    app(req, res, () => {
      sendJson(res, 404, { error: "not_found" });
    });
  });
}
