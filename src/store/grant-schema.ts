import type { Hit, StoredGrant } from "./grants.js";

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

/**
 * The sign-in and registration counters (GrantStore.countHit), a later migration of both stores: one
 * row per key and window. Keys are HMACs of the address, never the address itself.
 */
export const LIMIT_TABLE = `CREATE TABLE oauth_limits (
     key TEXT PRIMARY KEY,
     hits BIGINT NOT NULL,
     reset_at BIGINT NOT NULL
   )`;

/**
 * countHit as one upsert, for `table` (qualified as the store needs) and its placeholders `p(1)`…`p(3)`
 * (SQLite ?n, PostgreSQL $n): 1 key, 2 now, 3 the end of a window starting now.
 */
export function countHitSql(table: string, p: (n: number) => string): string {
  const ended = `l.reset_at <= ${p(2)}`;
  return `INSERT INTO ${table} AS l (key, hits, reset_at) VALUES (${p(1)}, 1, ${p(3)})
    ON CONFLICT (key) DO UPDATE SET
      hits = CASE WHEN ${ended} THEN 1 ELSE l.hits + 1 END,
      reset_at = CASE WHEN ${ended} THEN ${p(3)} ELSE l.reset_at END
    RETURNING hits, reset_at`;
}

/** The row countHitSql returns, read against the caller's limit. */
export const hitFrom = (r: Record<string, unknown> | undefined, limit: number): Hit => {
  if (!r) throw new Error("the grant store counted a hit but returned no row");
  return { over: Number(r.hits) > limit, resetAt: Number(r.reset_at) };
};

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
