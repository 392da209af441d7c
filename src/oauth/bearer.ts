import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { log } from "../log.js";
import type { Keyring } from "./crypto.js";
import { canWrite, type Grants } from "./grants.js";
import { type Resolved, SCOPES } from "./options.js";
import type { GrantStore } from "./store.js";

/**
 * The resource server's half: an access token in, the person's MOCO account and key out, or the
 * 401 that tells the client where to authorize (RFC 9728 resource_metadata, RFC 6750 errors).
 */

export type Authenticated = {
  ok: true;
  /** The person's MOCO account, …/api/v1. */
  baseUrl: string;
  /** The person's MOCO key, opened for this request only; never log it. */
  apiKey: string;
  /** sha256(baseUrl, key) prefix, the same as per-request credentials use: one MocoClient per tenant. */
  tenant: string;
  /** The person granted reads only: register no tool that writes. */
  readOnly: boolean;
  clientId: string;
  scopes: string[];
};

export type Refused = {
  ok: false;
  status: 401;
  headers: Record<string, string>;
  message: string;
};

export function bearerCheck(
  grants: Grants,
  keys: Keyring,
  store: GrantStore,
  o: Resolved,
): (req: IncomingMessage) => Promise<Authenticated | Refused> {
  function refuse(error: string | undefined, description: string): Refused {
    const parts = [`Bearer resource_metadata="${o.resourceMetadataUrl}"`, `scope="${SCOPES.join(" ")}"`];
    if (error) parts.push(`error="${error}"`, `error_description="${description.replace(/["\\]/g, "")}"`);
    return {
      ok: false,
      status: 401,
      headers: { "WWW-Authenticate": parts.join(", ") },
      message: description,
    };
  }

  async function authenticate(req: IncomingMessage): Promise<Authenticated | Refused> {
    const header = req.headers.authorization;
    if (!header)
      return refuse(undefined, "Authorization required: connect this server as an OAuth connector.");
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match) return refuse("invalid_request", "Send the access token as Authorization: Bearer <token>.");
    const found = await grants.verifyAccess(match[1] as string);
    if ("error" in found) return refuse("invalid_token", found.error);
    const { grant } = found;
    const apiKey = keys.open(grant.keySealed, `grant:${grant.id}`);
    if (apiKey === undefined) {
      log("warn", `oauth: grant ${grant.id.slice(0, 8)} was sealed with a secret no longer configured`);
      return refuse("invalid_token", "This connection must be set up again.");
    }
    if (keys.isStale(grant.keySealed))
      await store.resealGrant(grant.id, keys.seal(apiKey, `grant:${grant.id}`));
    const tenant = createHash("sha256")
      .update(grant.baseUrl)
      .update("\0")
      .update(apiKey)
      .digest("hex")
      .slice(0, 8);
    return {
      ok: true,
      baseUrl: grant.baseUrl,
      apiKey,
      tenant,
      readOnly: !canWrite(grant.scope),
      clientId: grant.clientId,
      scopes: grant.scope.split(" "),
    };
  }

  return authenticate;
}
