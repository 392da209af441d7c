import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import { createOAuthMetadata, mcpAuthRouter } from "@modelcontextprotocol/sdk/server/auth/router.js";
import express, { type Application, type NextFunction, type Request, type Response } from "express";
import type { SignInFlow } from "./flow.js";
import { FormError, readBody, sendJson } from "./http-util.js";
import { type OAuthOptions, type Resolved, SCOPES } from "./options.js";
import type { Provider } from "./provider.js";
import type { RegistrationGate } from "./registration.js";
import { shortenErrors } from "./short-errors.js";

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
        // RegistrationGate limits registrations before the SDK sees them (429 with Retry-After).
        rateLimit: false,
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
  registration: RegistrationGate;
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
      await sdkPath(req, res, path, d);
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

async function sdkPath(req: IncomingMessage, res: ServerResponse, path: string, d: RouteDeps): Promise<void> {
  if (req.method === "POST") {
    // The body first: a registration counts against the limits once its request is whole, so slow
    // bodies that never finish cannot use them up.
    const parsed = await parsedBody(req, res);
    if (!parsed.ok) return;
    if (path === "/register") {
      const refused = await d.registration.admit(req);
      if (refused) {
        sendJson(
          res,
          429,
          { error: "too_many_requests", error_description: refused.message },
          { "Retry-After": String(refused.retryAfterSeconds) },
        );
        return;
      }
    }
    // The body is read: Express's body parsers see a finished request and leave req.body as it is.
    (req as IncomingMessage & { body?: unknown }).body = parsed.body;
  }
  shortenErrors(res);
  await new Promise<void>((resolve) => {
    res.once("close", resolve);
    d.app(req, res, () => {
      sendJson(res, 404, { error: "not_found" });
    });
  });
}

/**
 * The body read here, bounded by the bytes that arrive (chunked or not), and parsed as the SDK's
 * handlers expect: JSON for /register, a web form (repeated fields as lists) for the others.
 */
async function parsedBody(
  req: IncomingMessage,
  res: ServerResponse,
): Promise<{ ok: true; body: unknown } | { ok: false }> {
  let bytes: Buffer;
  try {
    bytes = await readBody(req, BODY_LIMIT, "Request body too large");
  } catch (error) {
    if (!(error instanceof FormError)) throw error;
    const description = { error: "invalid_request", error_description: error.message };
    sendJson(res, 413, description, { Connection: "close" });
    return { ok: false };
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/x-www-form-urlencoded") {
    return { ok: true, body: { ...parseQuery(bytes.toString("utf8")) } };
  }
  if (type !== "application/json" && !type.endsWith("+json")) return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(bytes.toString("utf8")) as unknown };
  } catch {
    sendJson(res, 400, { error: "invalid_request", error_description: "The body is not valid JSON" });
    return { ok: false };
  }
}
