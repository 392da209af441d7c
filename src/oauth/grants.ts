import { randomBytes } from "node:crypto";
import {
  InvalidGrantError,
  InvalidScopeError,
  InvalidTargetError,
} from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type { OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { log } from "../log.js";
import { type Keyring, pkceMatches, randomToken, sha256 } from "./crypto.js";
import { type Resolved, SCOPE_WRITE } from "./options.js";
import type { GrantStore, StoredGrant } from "./store.js";

/**
 * The token life cycle: a consent becomes a grant and a one-time code; the code becomes an access
 * token (short) and a refresh token (rotated on every use). A code or refresh token used twice is
 * taken as stolen: the whole grant, with every token of it, is revoked.
 */

export const PREFIX = { access: "mlm_at_", refresh: "mlm_rt_", code: "mlm_ac_" } as const;
const TOKEN = /^mlm_(at|rt|ac)_[A-Za-z0-9_-]{43}$/;
export const looksLikeToken = (value: string) => TOKEN.test(value);

export interface NewGrant {
  clientId: string;
  baseUrl: string;
  apiKey: string;
  subject: string;
  scope: string;
  resource: string;
  redirectUri: string;
  redirectUriRequired: boolean;
  codeChallenge: string;
}

export class Grants {
  constructor(
    private readonly store: GrantStore,
    private readonly keys: Keyring,
    private readonly o: Resolved,
  ) {}

  /** After consent: the grant (inactive until its code is exchanged) and its code. */
  async create(g: NewGrant): Promise<string> {
    const now = this.o.now();
    const id = randomBytes(16).toString("hex");
    await this.store.createGrant({
      id,
      clientId: g.clientId,
      baseUrl: g.baseUrl,
      keySealed: this.keys.seal(g.apiKey, `grant:${id}`),
      subject: g.subject,
      scope: g.scope,
      resource: g.resource,
      createdAt: now,
      activatedAt: undefined,
      expiresAt: now + this.o.grantTtlMs,
      revokedAt: undefined,
    });
    const code = randomToken(PREFIX.code);
    await this.store.putCode({
      hash: sha256(code),
      grantId: id,
      clientId: g.clientId,
      redirectUri: g.redirectUri,
      redirectUriRequired: g.redirectUriRequired,
      codeChallenge: g.codeChallenge,
      resource: g.resource,
      expiresAt: now + this.o.codeTtlMs,
      usedAt: undefined,
    });
    return code;
  }

  async exchangeCode(
    clientId: string,
    code: string,
    verifier: string | undefined,
    redirectUri: string | undefined,
    resource: URL | undefined,
  ): Promise<OAuthTokens> {
    const now = this.o.now();
    const used = looksLikeToken(code) ? await this.store.useCode(sha256(code), now) : undefined;
    if (!used) throw new InvalidGrantError("Unknown authorization code");
    const { code: c, firstUse } = used;
    const grant = await this.store.getGrant(c.grantId);
    if (!firstUse) {
      // RFC 6749 §4.1.2: a code used twice revokes what was issued from it.
      if (grant?.activatedAt !== undefined) await this.revoke(grant, "authorization code replayed");
      throw new InvalidGrantError("Authorization code already used");
    }
    // Any refusal from here on burns the code and, as nothing was issued yet, the grant with it.
    const refuse = async (error: Error) => {
      await this.store.deleteGrant(c.grantId);
      throw error;
    };
    if (!grant || grant.revokedAt !== undefined)
      return refuse(new InvalidGrantError("Authorization code revoked"));
    if (c.expiresAt <= now) return refuse(new InvalidGrantError("Authorization code expired"));
    if (c.clientId !== clientId)
      return refuse(new InvalidGrantError("Authorization code was issued to another client"));
    // RFC 6749 §4.1.3: required when the authorization request carried it, and then identical.
    if ((redirectUri !== undefined || c.redirectUriRequired) && redirectUri !== c.redirectUri) {
      return refuse(new InvalidGrantError("redirect_uri does not match the authorization request"));
    }
    if (resource !== undefined && !sameResource(resource, c.resource)) {
      return refuse(new InvalidTargetError("resource does not match the authorization request"));
    }
    if (!verifier || !pkceMatches(verifier, c.codeChallenge)) {
      return refuse(new InvalidGrantError("code_verifier does not match the challenge"));
    }
    await this.store.activateGrant(grant.id, now);
    return this.issue(grant, now);
  }

  async exchangeRefresh(
    clientId: string,
    refreshToken: string,
    scopes: string[] | undefined,
    resource: URL | undefined,
  ): Promise<OAuthTokens> {
    const now = this.o.now();
    const hash = sha256(refreshToken);
    const token = looksLikeToken(refreshToken) ? await this.store.getToken(hash) : undefined;
    if (token?.kind !== "refresh") throw new InvalidGrantError("Unknown refresh token");
    if (token.clientId !== clientId)
      throw new InvalidGrantError("Refresh token was issued to another client");
    const grant = await this.store.getGrant(token.grantId);
    if (!grant || !live(grant, now)) throw new InvalidGrantError("The grant has expired or was revoked");
    // Only a token already spent is a replay. Every other refusal leaves it valid: a client that
    // asked for too much, or named the wrong resource, may still refresh correctly.
    if (token.usedAt !== undefined) return this.replayed(grant);
    if (token.expiresAt <= now) throw new InvalidGrantError("Refresh token expired");
    if (resource !== undefined && !sameResource(resource, grant.resource)) {
      throw new InvalidTargetError("resource does not match the grant");
    }
    const granted = grant.scope.split(" ");
    if (scopes?.some((s) => !granted.includes(s))) throw new InvalidScopeError("scope exceeds the grant");
    // Atomic: of two concurrent uses of one token exactly one gets here first; the other is a replay.
    if (!(await this.store.useRefreshToken(hash, now))) return this.replayed(grant);
    return this.issue(grant, now);
  }

  private async replayed(grant: StoredGrant): Promise<never> {
    await this.revoke(grant, "refresh token replayed");
    throw new InvalidGrantError("Refresh token already used; the grant is revoked, sign in again");
  }

  private async issue(grant: StoredGrant, now: number): Promise<OAuthTokens> {
    const access = randomToken(PREFIX.access);
    const refresh = randomToken(PREFIX.refresh);
    const base = { grantId: grant.id, clientId: grant.clientId, createdAt: now, usedAt: undefined };
    await this.store.putToken({
      ...base,
      hash: sha256(access),
      kind: "access",
      expiresAt: now + this.o.accessTtlMs,
    });
    await this.store.putToken({
      ...base,
      hash: sha256(refresh),
      kind: "refresh",
      expiresAt: Math.min(now + this.o.refreshTtlMs, grant.expiresAt),
    });
    return {
      access_token: access,
      token_type: "Bearer",
      expires_in: Math.floor(this.o.accessTtlMs / 1000),
      refresh_token: refresh,
      scope: grant.scope,
    };
  }

  /** RFC 7009: either token of a client ends its whole grant; an unknown token is no error. */
  async revokeToken(clientId: string, token: string): Promise<void> {
    const found = looksLikeToken(token) ? await this.store.getToken(sha256(token)) : undefined;
    if (!found || found.clientId !== clientId) return;
    const grant = await this.store.getGrant(found.grantId);
    if (grant) await this.revoke(grant, "revoked by the client");
  }

  async revoke(grant: StoredGrant, reason: string): Promise<void> {
    await this.store.revokeGrant(grant.id, this.o.now());
    log("warn", `oauth: grant ${grant.id.slice(0, 8)} revoked (${reason})`);
  }

  /** The live grant an access token stands for, or why there is none. */
  async verifyAccess(token: string): Promise<{ grant: StoredGrant; expiresAt: number } | { error: string }> {
    const now = this.o.now();
    const found = looksLikeToken(token) ? await this.store.getToken(sha256(token)) : undefined;
    if (found?.kind !== "access") return { error: "The access token is unknown or was revoked" };
    if (found.expiresAt <= now) return { error: "The access token has expired" };
    const grant = await this.store.getGrant(found.grantId);
    if (!grant || !live(grant, now)) return { error: "The grant has expired or was revoked" };
    if (grant.resource !== this.o.resource)
      return { error: "The access token was not issued for this resource" };
    return { grant, expiresAt: found.expiresAt };
  }
}

const live = (g: StoredGrant, now: number) =>
  g.revokedAt === undefined && g.activatedAt !== undefined && g.expiresAt > now;

export const canWrite = (scope: string) => scope.split(" ").includes(SCOPE_WRITE);

/**
 * RFC 8707: a resource is an absolute URI without a fragment. Two compare equal only when they are the
 * same once scheme and host case is normalised (URL parsing does that); a fragment (even an empty `#`)
 * never matches, nor does a trailing slash the other lacks.
 */
export function sameResource(a: URL | string, b: string): boolean {
  if (String(a).includes("#")) return false;
  try {
    return new URL(String(a)).href === new URL(b).href;
  } catch {
    return false;
  }
}
