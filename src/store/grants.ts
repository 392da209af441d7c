/**
 * What the OAuth authorization server keeps, behind one small async interface: node:sqlite
 * (src/oauth/sqlite-store.ts) or PostgreSQL (postgres/grants.ts); test/oauth/grant-store-contract.ts
 * is its behaviour. Tokens, codes and CSRF values appear only as SHA-256 hashes; MOCO keys and
 * client secrets only as ciphertexts sealed by the Keyring. Times are epoch milliseconds.
 */

export interface StoredClient {
  clientId: string;
  /** The registered metadata (RFC 7591) as JSON, without any secret. */
  metadata: string;
  /** The client secret, sealed; absent for public clients. */
  secretSealed: string | undefined;
  createdAt: number;
}

/** A person's consent: one MOCO key for one client, the family every token of it belongs to. */
export interface StoredGrant {
  id: string;
  clientId: string;
  baseUrl: string;
  /** The MOCO API key, sealed with purpose `grant:<id>`. */
  keySealed: string;
  /** Which MOCO account the key is for (JSON: account). The person's name and e-mail are not kept. */
  subject: string;
  scope: string;
  resource: string;
  createdAt: number;
  /** Set when the first code of this grant was exchanged; a grant never activated is discarded. */
  activatedAt: number | undefined;
  expiresAt: number;
  revokedAt: number | undefined;
}

export interface StoredCode {
  hash: string;
  grantId: string;
  clientId: string;
  redirectUri: string;
  /** The authorization request named redirectUri, so the token request must repeat it. */
  redirectUriRequired: boolean;
  codeChallenge: string;
  resource: string;
  expiresAt: number;
  usedAt: number | undefined;
}

export type TokenKind = "access" | "refresh";

export interface StoredToken {
  hash: string;
  kind: TokenKind;
  grantId: string;
  clientId: string;
  createdAt: number;
  expiresAt: number;
  /** Refresh tokens: when it was exchanged (rotated). A second use is a replay. */
  usedAt: number | undefined;
}

/** A signed-in person who has not answered the consent page yet. */
export interface StoredPending {
  hash: string;
  csrfHash: string;
  /** The authorization request (JSON), no secrets. */
  request: string;
  baseUrl: string;
  keySealed: string;
  subject: string;
  expiresAt: number;
}

/** A hit counted by GrantStore.countHit. */
export interface Hit {
  over: boolean;
  /** When the window ends (epoch milliseconds). */
  resetAt: number;
}

export interface GrantStore {
  /** Where the grants are kept, for the log (never a password). */
  readonly where?: string;
  putClient(client: StoredClient): Promise<void>;
  getClient(clientId: string): Promise<StoredClient | undefined>;
  countClients(): Promise<number>;
  /** Removes up to `max` clients created before `before` that hold no grant, oldest first; returns how many. */
  pruneIdleClients(before: number, max: number): Promise<number>;
  /** When the oldest client that holds no grant was created; undefined when every client holds one. */
  oldestIdleClient(): Promise<number | undefined>;

  putPending(pending: StoredPending): Promise<void>;
  /** Returns and deletes it: a consent form is answered once. */
  takePending(hash: string): Promise<StoredPending | undefined>;

  createGrant(grant: StoredGrant): Promise<void>;
  getGrant(id: string): Promise<StoredGrant | undefined>;
  activateGrant(id: string, at: number): Promise<void>;
  /** Revokes the grant and deletes every token of it (the whole family). */
  revokeGrant(id: string, at: number): Promise<void>;
  deleteGrant(id: string): Promise<void>;
  listGrants(): Promise<StoredGrant[]>;
  /** Replaces the sealed key (rotation to a new secret). */
  resealGrant(id: string, keySealed: string): Promise<void>;
  resealClient(clientId: string, secretSealed: string): Promise<void>;

  putCode(code: StoredCode): Promise<void>;
  /**
   * Marks the code used and returns it with `firstUse`; a code already used comes back with
   * `firstUse: false` (a replay). Atomic: of two concurrent exchanges exactly one gets firstUse.
   */
  useCode(hash: string, at: number): Promise<{ code: StoredCode; firstUse: boolean } | undefined>;

  putToken(token: StoredToken): Promise<void>;
  getToken(hash: string): Promise<StoredToken | undefined>;
  /** Marks a refresh token used; false if it already was (atomic). */
  useRefreshToken(hash: string, at: number): Promise<boolean>;

  /**
   * Counts one hit against `key` in a fixed window: the key's first hit, or its first after the
   * window ended, starts a window of `windowMs` from `now`. `over` is whether this hit is past `limit`
   * within the window (hits past it count too). One statement, so instances sharing the store count
   * together and concurrent hits each get their own place.
   */
  countHit(key: string, limit: number, windowMs: number, now: number): Promise<Hit>;

  /**
   * Deletes expired codes, tokens, pending consents, hit windows that ended, and grants that expired or
   * were never activated.
   */
  purge(now: number, unactivatedBefore: number): Promise<void>;
  close(): Promise<void>;
}
