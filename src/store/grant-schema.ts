import type { StoredGrant } from "./grants.js";

/**
 * The grant store's tables, the same in SQLite (src/oauth/sqlite-store.ts) and PostgreSQL
 * (postgres/grants.ts): their first migration. Secrets are kept sealed (key_sealed, secret_sealed) or as
 * hashes (codes, tokens, pending consents).
 */
export const GRANT_TABLES = `CREATE TABLE oauth_clients (
     client_id TEXT PRIMARY KEY,
     metadata TEXT NOT NULL,
     secret_sealed TEXT,
     created_at BIGINT NOT NULL
   );
   CREATE TABLE oauth_grants (
     id TEXT PRIMARY KEY,
     client_id TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
     base_url TEXT NOT NULL,
     key_sealed TEXT NOT NULL,
     subject TEXT NOT NULL,
     scope TEXT NOT NULL,
     resource TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     activated_at BIGINT,
     expires_at BIGINT NOT NULL,
     revoked_at BIGINT
   );
   CREATE INDEX oauth_grants_client ON oauth_grants (client_id);
   CREATE TABLE oauth_codes (
     hash TEXT PRIMARY KEY,
     grant_id TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
     client_id TEXT NOT NULL,
     redirect_uri TEXT NOT NULL,
     code_challenge TEXT NOT NULL,
     resource TEXT NOT NULL,
     expires_at BIGINT NOT NULL,
     used_at BIGINT
   );
   CREATE TABLE oauth_tokens (
     hash TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     grant_id TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
     client_id TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     used_at BIGINT
   );
   CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
   CREATE TABLE oauth_pending (
     hash TEXT PRIMARY KEY,
     csrf_hash TEXT NOT NULL,
     request TEXT NOT NULL,
     base_url TEXT NOT NULL,
     key_sealed TEXT NOT NULL,
     subject TEXT NOT NULL,
     expires_at BIGINT NOT NULL
   )`;

/** A number column that may be NULL. */
export const optionalNumber = (v: unknown): number | undefined =>
  v === null || v === undefined ? undefined : Number(v);

/** A row of oauth_grants as the store gives it (SQLite or PostgreSQL), read the same way by both. */
export function grantFrom(r: Record<string, unknown>): StoredGrant {
  return {
    id: String(r.id),
    clientId: String(r.client_id),
    baseUrl: String(r.base_url),
    keySealed: String(r.key_sealed),
    subject: String(r.subject),
    scope: String(r.scope),
    resource: String(r.resource),
    createdAt: Number(r.created_at),
    activatedAt: optionalNumber(r.activated_at),
    expiresAt: Number(r.expires_at),
    revokedAt: optionalNumber(r.revoked_at),
  };
}
