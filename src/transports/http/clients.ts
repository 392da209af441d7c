import type { IncomingMessage } from "node:http";
import type { OAuthConfig, PerRequestUpstream, Settings } from "../../config.js";
import { log } from "../../log.js";
import type { MocoClient } from "../../moco/client.js";
import type { OAuth } from "../../oauth/index.js";
import { reportUnfinished } from "../shutdown.js";
import type { Access } from "./access-log.js";
import { HttpError } from "./errors.js";
import { CREDENTIAL_HEADERS, type MakeClient, TenantClients } from "./tenants.js";

/**
 * Where each request's MOCO client comes from, one maker per kind of upstream: the server's own
 * client, the tenant its X-Moco-* headers name, or the tenant its OAuth grant names.
 */
export interface Clients {
  /**
   * The MOCO client a request to /mcp runs with, and whether its grant allows writes; checks the
   * request's own credentials (an OAuth access token, X-Moco-* headers) and throws HttpError if they fail.
   */
  clientFor: ClientFor;
  /** --oauth: the front door; its endpoints and pages are answered before /mcp. */
  oauth?: OAuth;
  /** At shutdown: writes already sent may run until `until` (epoch ms), then all is closed. */
  close(until: number): Promise<void>;
}

/** The MOCO client one request runs with, and whether its grant allows writes. */
export type RequestClient = { moco: MocoClient; readOnly: boolean };

type ClientFor = (req: IncomingMessage, access: Access) => Promise<RequestClient>;

/** The server's own client (a sandbox or the configured account) for every request. */
export function ownClient(moco: MocoClient): Clients {
  return {
    clientFor: async (req) => {
      // Refuse rather than ignore: the caller believes it works with its own MOCO permissions.
      if (CREDENTIAL_HEADERS.some((h) => req.headers[h] !== undefined)) {
        throw new HttpError(
          400,
          "This server does not take per-request MOCO credentials; drop the X-Moco-* headers.",
        );
      }
      return { moco, readOnly: false };
    },
    // Its owner drains and closes it.
    close: async () => {},
  };
}

/** Per-request credentials: the client of the tenant the X-Moco-* headers name. */
export function headerClients(
  makeClient: MakeClient,
  upstream: PerRequestUpstream,
  rateLimit: Settings["rateLimit"],
): Clients {
  const { allowBaseUrlHeader, limits } = upstream;
  const tenants = new TenantClients(makeClient, { allowBaseUrlHeader, limits, rateLimit });
  return {
    clientFor: async (req, access) => {
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
    },
    close: (until) => closeTenants(tenants, until),
  };
}

/** --oauth: the access token names a grant, the grant carries the person's MOCO key. */
export function grantClients(
  oauth: OAuth,
  makeClient: MakeClient,
  config: OAuthConfig,
  rateLimit: Settings["rateLimit"],
): Clients {
  // The grant's account was checked at sign-in: no base URL comes from a request here.
  const tenants = new TenantClients(makeClient, {
    allowBaseUrlHeader: false,
    limits: config.limits,
    rateLimit,
  });
  return {
    oauth,
    clientFor: async (req, access) => {
      const auth = await oauth.authenticate(req).catch((error: unknown) => {
        throw grantsUnreadable(error);
      });
      if (!auth.ok) throw new HttpError(auth.status, auth.message, auth.headers);
      const found = tenants.forAccount(auth.baseUrl, auth.apiKey);
      if (!found.ok)
        throw new HttpError(found.status, found.message, found.status === 503 ? { "Retry-After": "60" } : {});
      access.tenant = found.tenant;
      return { moco: found.client, readOnly: auth.readOnly };
    },
    close: async (until) => {
      await closeTenants(tenants, until);
      await oauth.close();
    },
  };
}

/**
 * The grants could not be read (their database is away, or slow): nothing is refused for good, the
 * client is told to come back shortly, and the log says why.
 */
function grantsUnreadable(error: unknown): HttpError {
  log("warn", `oauth: the grants cannot be read (${error instanceof Error ? error.message : String(error)})`);
  return new HttpError(
    503,
    "Service Unavailable: the sign-in records cannot be read right now; try again in a few seconds.",
    { "Retry-After": "5" },
  );
}

/** Tenants' writes already sent run to their answer (until `until`), then every client is closed. */
async function closeTenants(tenants: TenantClients, until: number): Promise<void> {
  reportUnfinished(await tenants.drain(until - Date.now()));
  await tenants.close();
}
