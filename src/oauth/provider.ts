import type { IncomingMessage } from "node:http";
import {
  InvalidRequestError,
  InvalidScopeError,
  InvalidTargetError,
  InvalidTokenError,
  ServerError,
} from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type {
  AuthorizationParams,
  OAuthServerProvider,
} from "@modelcontextprotocol/sdk/server/auth/provider.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type {
  OAuthClientInformationFull,
  OAuthTokenRevocationRequest,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { Response } from "express";
import type { ClientsStore } from "./clients.js";
import type { SignInFlow } from "./flow.js";
import { type Grants, sameResource } from "./grants.js";
import { type Resolved, SCOPES } from "./options.js";

/**
 * Our side of the SDK's authorization-server handlers: the SDK parses and validates the requests
 * (client, redirect URI, PKCE method S256, grant types) and calls this provider for everything
 * stateful; the store and the token rules live in Grants.
 */

/** BASE64URL(SHA-256(verifier)): always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Whether the authorization request itself named a redirect_uri (the SDK fills in a client's only
 * one when it did not). RFC 6749 §4.1.3: if it did, the token request must repeat it.
 */
function redirectUriSent(res: Response): boolean {
  const req = (res as Response & { req?: IncomingMessage & { body?: unknown } }).req;
  if (!req) return true;
  if (req.method === "POST") {
    const body = req.body as Record<string, unknown> | undefined;
    return body?.redirect_uri !== undefined;
  }
  return new URL(req.url ?? "/", "http://x").searchParams.has("redirect_uri");
}

export class Provider implements OAuthServerProvider {
  /** We verify PKCE ourselves after consuming the code, so a wrong verifier burns the code. */
  readonly skipLocalPkceValidation = true;

  constructor(
    readonly clientsStore: ClientsStore,
    private readonly grants: Grants,
    private readonly flow: SignInFlow,
    private readonly o: Resolved,
  ) {}

  async authorize(
    client: OAuthClientInformationFull,
    params: AuthorizationParams,
    res: Response,
  ): Promise<void> {
    // RFC 8707: a token is only ever for this server's MCP endpoint.
    if (params.resource && !sameResource(params.resource, this.o.resource)) {
      throw new InvalidTargetError(`this server issues tokens for ${this.o.resource} only`);
    }
    // Refused here, before any page: a request no code could ever come of.
    if (!S256_CHALLENGE.test(params.codeChallenge)) {
      throw new InvalidRequestError("code_challenge must be an S256 challenge: 43 base64url characters");
    }
    const scopes = (params.scopes ?? []).filter(Boolean);
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) {
      throw new InvalidScopeError(
        `unknown scope ${unknown.join(" ")}; this server knows ${SCOPES.join(" ")}`,
      );
    }
    this.flow.showSignIn(res, client, { ...params, scopes }, redirectUriSent(res));
  }

  async challengeForAuthorizationCode(): Promise<string> {
    throw new ServerError("PKCE is checked in exchangeAuthorizationCode");
  }

  exchangeAuthorizationCode(
    client: OAuthClientInformationFull,
    code: string,
    verifier?: string,
    redirectUri?: string,
    resource?: URL,
  ): Promise<OAuthTokens> {
    return this.grants.exchangeCode(client.client_id, code, verifier, redirectUri, resource);
  }

  exchangeRefreshToken(
    client: OAuthClientInformationFull,
    refreshToken: string,
    scopes?: string[],
    resource?: URL,
  ): Promise<OAuthTokens> {
    return this.grants.exchangeRefresh(client.client_id, refreshToken, scopes, resource);
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const found = await this.grants.verifyAccess(token);
    if ("error" in found) throw new InvalidTokenError(found.error);
    return {
      token,
      clientId: found.grant.clientId,
      scopes: found.grant.scope.split(" "),
      expiresAt: Math.floor(found.expiresAt / 1000),
      resource: new URL(found.grant.resource),
    };
  }

  revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    return this.grants.revokeToken(client.client_id, request.token);
  }
}
