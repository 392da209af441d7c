import {
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
import type { Resolved } from "./options.js";

/**
 * Our side of the SDK's authorization-server handlers: the SDK parses and validates the requests
 * (client, redirect URI, PKCE method S256, grant types) and calls this provider for everything
 * stateful; the store and the token rules live in Grants.
 */

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
    this.flow.showSignIn(res, client, params);
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
