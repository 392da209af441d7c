import type { OAuthRegisteredClientsStore } from "@modelcontextprotocol/sdk/server/auth/clients.js";
import { InvalidClientMetadataError, ServerError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type { OAuthClientInformationFull } from "@modelcontextprotocol/sdk/shared/auth.js";
import { log } from "../log.js";
import type { Keyring } from "./crypto.js";
import { SCOPES } from "./options.js";
import { type RedirectPolicy, redirectRefusal } from "./redirect-policy.js";
import type { GrantStore } from "./store.js";

/**
 * The registered clients (RFC 7591): the registration policy on the way in, secrets sealed at
 * rest. Both the SDK's handlers (through the provider) and the sign-in flow read clients here.
 */

/**
 * At the cap, clients without a grant that are older than this make room, oldest first. Long
 * enough for a person to finish signing in; short enough that a flood of registrations cannot
 * keep the door shut (the global registration rate keeps fresh clients below the cap).
 */
export const IDLE_CLIENT_AGE_MS = 3600_000;

/** Longest text per metadata field; any other string field gets 512, any list 10 entries. */
const FIELD_LIMITS: Record<string, number> = {
  client_name: 100,
  software_id: 100,
  software_version: 100,
  scope: 200,
};
const MAX_REDIRECT_URIS = 10;
const AUTH_METHODS: readonly string[] = ["none", "client_secret_post", "client_secret_basic"];
const LIST_LIMITS: Record<string, number> = { contacts: 5, redirect_uris: MAX_REDIRECT_URIS };

export class ClientsStore implements OAuthRegisteredClientsStore {
  constructor(
    private readonly store: GrantStore,
    private readonly keys: Keyring,
    private readonly policy: RedirectPolicy,
    private readonly maxClients: number,
    private readonly now: () => number,
  ) {}

  async getClient(clientId: string): Promise<OAuthClientInformationFull | undefined> {
    if (clientId.length > 64) return undefined;
    const found = await this.store.getClient(clientId);
    if (!found) return undefined;
    const client = JSON.parse(found.metadata) as OAuthClientInformationFull;
    if (found.secretSealed) {
      const secret = this.keys.open(found.secretSealed, `client:${clientId}`);
      if (secret === undefined) return undefined; // sealed under a secret no longer configured
      if (this.keys.isStale(found.secretSealed)) {
        await this.store.resealClient(clientId, this.keys.seal(secret, `client:${clientId}`));
      }
      client.client_secret = secret;
    }
    return client;
  }

  async registerClient(
    client: Omit<OAuthClientInformationFull, "client_id" | "client_id_issued_at">,
  ): Promise<OAuthClientInformationFull> {
    const full = client as OAuthClientInformationFull;
    if (!full.client_id) throw new ServerError("client id generation is expected from the SDK");
    const tooLong = oversizedField(full);
    if (tooLong) throw new InvalidClientMetadataError(tooLong);
    // Never used here, unbounded in size: not kept.
    const { jwks: _jwks, software_statement: _statement, ...kept } = full;
    const registered: OAuthClientInformationFull = { ...kept, ...this.honoured(full) };
    const { client_secret, ...metadata } = registered;
    await this.store.putClient({
      clientId: registered.client_id,
      metadata: JSON.stringify(metadata),
      secretSealed: client_secret
        ? this.keys.seal(client_secret, `client:${registered.client_id}`)
        : undefined,
      createdAt: this.now(),
    });
    log("info", `oauth: client ${registered.client_id.slice(0, 8)} registered`, {
      redirect_hosts: registered.redirect_uris.map((u) => new URL(u).host),
    });
    return registered;
  }

  /**
   * What of the request this server will honour, in the form it will use it: redirect URIs as they
   * parse (a redirect goes to the parsed URL, so that is what is registered), the code flow only,
   * known scopes only. What it would never honour is refused rather than stored.
   */
  private honoured(client: OAuthClientInformationFull): Partial<OAuthClientInformationFull> {
    if (client.redirect_uris.length === 0 || client.redirect_uris.length > MAX_REDIRECT_URIS) {
      throw new InvalidClientMetadataError(`register between 1 and ${MAX_REDIRECT_URIS} redirect URIs`);
    }
    const redirectUris = client.redirect_uris.map((uri) => {
      const href = URL.canParse(uri) ? new URL(uri).href : uri;
      const refusal = href.length > 512 ? "a redirect URI is too long" : redirectRefusal(href, this.policy);
      // RFC 7591 §3.2.2 names this error.
      if (refusal) throw new CustomError("invalid_redirect_uri", refusal);
      return href;
    });
    const grants = client.grant_types ?? ["authorization_code"];
    if (grants.some((g) => g !== "authorization_code" && g !== "refresh_token")) {
      throw new InvalidClientMetadataError(
        "only the authorization_code and refresh_token grant types are supported",
      );
    }
    if (client.response_types?.some((t) => t !== "code")) {
      throw new InvalidClientMetadataError('only the response type "code" is supported');
    }
    const method = client.token_endpoint_auth_method;
    if (method !== undefined && !AUTH_METHODS.includes(method)) {
      throw new InvalidClientMetadataError(
        `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(", ")}`,
      );
    }
    const scopes = (client.scope ?? "").split(" ").filter((s) => (SCOPES as readonly string[]).includes(s));
    return {
      redirect_uris: redirectUris,
      grant_types: grants,
      ...(client.response_types ? { response_types: ["code"] } : {}),
      // The SDK checks client secrets in the request body only, so a client asking for HTTP Basic gets _post.
      ...(method === "client_secret_basic" ? { token_endpoint_auth_method: "client_secret_post" } : {}),
      // Unknown scopes are dropped (what is left is what the client can ever be granted).
      scope: scopes.length > 0 ? scopes.join(" ") : undefined,
    };
  }

  /**
   * Room for one more client: when the cap is reached, idle clients (no grant) older than
   * IDLE_CLIENT_AGE_MS go, oldest first. Undefined when there is room, else the milliseconds
   * until the oldest idle client is old enough to go.
   */
  async makeRoom(): Promise<number | undefined> {
    const excess = (await this.store.countClients()) - this.maxClients + 1;
    if (excess <= 0) return undefined;
    const now = this.now();
    // "Older than" includes the very millisecond it turns an hour old (what Retry-After promises).
    await this.store.pruneIdleClients(now - IDLE_CLIENT_AGE_MS + 1, excess);
    if ((await this.store.countClients()) < this.maxClients) return undefined;
    const oldest = await this.store.oldestIdleClient();
    return oldest === undefined ? IDLE_CLIENT_AGE_MS : Math.max(1000, oldest + IDLE_CLIENT_AGE_MS - now);
  }
}

/** Why a metadata field is refused for its size, or undefined. */
function oversizedField(metadata: OAuthClientInformationFull): string | undefined {
  for (const [key, value] of Object.entries(metadata)) {
    const max = FIELD_LIMITS[key] ?? 512;
    if (typeof value === "string" && value.length > max)
      return `${key} is too long (at most ${max} characters)`;
    if (!Array.isArray(value)) continue;
    const entries = LIST_LIMITS[key] ?? 10;
    if (value.length > entries) return `${key} has too many entries (at most ${entries})`;
    if (value.some((v) => typeof v !== "string" || v.length > 512))
      return `${key} has an entry that is too long`;
  }
  return undefined;
}

class CustomError extends InvalidClientMetadataError {
  constructor(
    private readonly code: string,
    message: string,
  ) {
    super(message);
  }
  override get errorCode(): string {
    return this.code;
  }
}
