import type { OAuthRegisteredClientsStore } from "@modelcontextprotocol/sdk/server/auth/clients.js";
import {
  InvalidClientMetadataError,
  ServerError,
  TooManyRequestsError,
} from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type { OAuthClientInformationFull } from "@modelcontextprotocol/sdk/shared/auth.js";
import { log } from "../log.js";
import type { Keyring } from "./crypto.js";
import { type RedirectPolicy, redirectRefusal } from "./redirect-policy.js";
import type { GrantStore } from "./store.js";

/**
 * The registered clients (RFC 7591): the registration policy on the way in, secrets sealed at
 * rest. Both the SDK's handlers (through the provider) and the sign-in flow read clients here.
 */

const DAY = 24 * 3600 * 1000;

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
    if (client.redirect_uris.length === 0 || client.redirect_uris.length > 10) {
      throw new InvalidClientMetadataError("register between 1 and 10 redirect URIs");
    }
    for (const uri of client.redirect_uris) {
      const refusal = uri.length > 512 ? "a redirect URI is too long" : redirectRefusal(uri, this.policy);
      // RFC 7591 §3.2.2 names this error.
      if (refusal) throw new CustomError("invalid_redirect_uri", refusal);
    }
    const grants = client.grant_types ?? ["authorization_code"];
    if (grants.some((g) => g !== "authorization_code" && g !== "refresh_token")) {
      throw new InvalidClientMetadataError(
        "only the authorization_code and refresh_token grant types are supported",
      );
    }
    if ((client.client_name?.length ?? 0) > 100)
      throw new InvalidClientMetadataError("client_name is too long");
    if ((await this.store.countClients()) >= this.maxClients) {
      await this.store.pruneIdleClients(this.now() - DAY);
      if ((await this.store.countClients()) >= this.maxClients) {
        throw new TooManyRequestsError(
          "this server has as many registered clients as it keeps; try again tomorrow",
        );
      }
    }
    // The SDK checks client secrets in the request body only, so a client asking for HTTP Basic gets _post.
    const method =
      client.token_endpoint_auth_method === "client_secret_basic" ? "client_secret_post" : undefined;
    const registered: OAuthClientInformationFull = {
      ...full,
      ...(method ? { token_endpoint_auth_method: method } : {}),
      grant_types: grants,
    };
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
