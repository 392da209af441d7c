import type { IncomingMessage } from "node:http";
import type { MocoClient } from "../../moco/client.js";
import type { OAuth } from "../../oauth/index.js";
import type { Access } from "./access-log.js";
import { HttpError } from "./errors.js";
import { CREDENTIAL_HEADERS, type TenantClients } from "./tenants.js";

/** The MOCO client a request to /mcp runs with, and whether its grant allows writes. */
export type ClientFor = (
  req: IncomingMessage,
  access: Access,
) => Promise<{ moco: MocoClient; readOnly: boolean }>;

/** The server's own client, for every request. */
export function fixedClient(moco: MocoClient): ClientFor {
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

/** Per-request credentials: the client of the tenant the X-Moco-* headers name. */
export function tenantClient(tenants: TenantClients): ClientFor {
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
export function grantClient(oauth: OAuth, tenants: TenantClients): ClientFor {
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
