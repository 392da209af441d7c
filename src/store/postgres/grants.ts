import type { Pool, PoolClient, QueryResultRow } from "pg";
import { log, registerSecret } from "../../log.js";
import { countHitSql, GRANT_TABLES, grantFrom, hitFrom, LIMIT_TABLE } from "../grant-schema.js";
import type {
  GrantStore,
  Hit,
  StoredClient,
  StoredCode,
  StoredGrant,
  StoredPending,
  StoredToken,
  TokenKind,
} from "../grants.js";
import { migrate } from "./migrate.js";
import { describePostgres, type PostgresLocation, postgresProblem, quoteIdent } from "./setting.js";

/**
 * The OAuth grant store of a team server in PostgreSQL: tables oauth_* in the deployment's schema,
 * beside the lead mirrors, so every instance behind one address knows every grant. The same tables
 * and the same behaviour as the SQLite grant store (test/oauth/grant-store-contract.ts); MOCO keys and
 * client secrets arrive sealed and tokens, codes and CSRF values as hashes, so nothing secret is kept
 * in plain text. A first use (of a code, a refresh token, a consent) is one statement that only one
 * of several concurrent callers can win.
 */
const POOL_MAX = 4;
const CONNECT_TIMEOUT_MS = 5000;
const STATEMENT_TIMEOUT_MS = 15_000;

/** Versions as in the SQLite store; the second only rewrote rows SQLite had, so here it starts empty. */
const MIGRATIONS: readonly string[] = [
  GRANT_TABLES,
  "SELECT 1",
  "ALTER TABLE oauth_codes ADD COLUMN redirect_uri_required INTEGER NOT NULL DEFAULT 1",
  LIMIT_TABLE,
];

type Row = QueryResultRow;
const opt = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

export class PostgresGrantStore implements GrantStore {
  private constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    readonly where: string,
  ) {}

  /** Connects and brings the oauth_* tables up to date (one instance at a time, under an advisory lock). */
  static async open(location: PostgresLocation): Promise<PostgresGrantStore> {
    const problem = postgresProblem(location);
    if (problem) throw new Error(`the grant store in PostgreSQL cannot be used: ${problem}`);
    const { default: pg } = await import("pg");
    registerSecret(process.env.PGPASSWORD);
    const pool = new pg.Pool({
      connectionString: location.url,
      max: POOL_MAX,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      application_name: `moco-leads-mcp/${location.schema}/oauth`,
    });
    pool.on("error", (error) =>
      log("debug", `oauth: an idle PostgreSQL connection failed (${error.message})`),
    );
    const store = new PostgresGrantStore(pool, location.schema, `PostgreSQL (${describePostgres(location)})`);
    try {
      await migrate(pool, location.schema);
      await store.migrate();
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
    return store;
  }

  private get s(): string {
    return quoteIdent(this.schema);
  }

  private async migrate(): Promise<void> {
    await this.tx(async (db) => {
      await db.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`moco-leads-mcp oauth ${this.schema}`]);
      await db.query(`SET LOCAL search_path TO ${this.s}`);
      await db.query(
        "CREATE TABLE IF NOT EXISTS oauth_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
      );
      const current = Number(
        (await db.query("SELECT MAX(version) AS v FROM oauth_migrations")).rows[0]?.v ?? 0,
      );
      for (const [index, sql] of MIGRATIONS.entries()) {
        const version = index + 1;
        if (version <= current) continue;
        await db.query(sql);
        await db.query("INSERT INTO oauth_migrations (version, applied_at) VALUES ($1, $2)", [
          version,
          Date.now(),
        ]);
      }
    });
  }

  /** The schema version the tables are at. */
  async schemaVersion(): Promise<number> {
    return Number((await this.rows(`SELECT MAX(version) AS v FROM ${this.s}.oauth_migrations`))[0]?.v ?? 0);
  }

  private async rows(sql: string, values: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, values)).rows;
  }

  private async count(sql: string, values: unknown[] = []): Promise<number> {
    return (await this.pool.query(sql, values)).rowCount ?? 0;
  }

  private async tx<T>(work: (db: PoolClient) => Promise<T>): Promise<T> {
    const db = await this.pool.connect();
    let broken = false;
    try {
      await db.query("BEGIN");
      const result = await work(db);
      await db.query("COMMIT");
      return result;
    } catch (error) {
      broken = true;
      await db.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      db.release(broken);
    }
  }

  private t(table: string): string {
    return `${this.s}.${table}`;
  }

  async putClient(c: StoredClient): Promise<void> {
    await this.rows(
      `INSERT INTO ${this.t("oauth_clients")} (client_id, metadata, secret_sealed, created_at) VALUES ($1, $2, $3, $4)`,
      [c.clientId, c.metadata, c.secretSealed ?? null, c.createdAt],
    );
  }

  async getClient(clientId: string): Promise<StoredClient | undefined> {
    const r = (
      await this.rows(`SELECT * FROM ${this.t("oauth_clients")} WHERE client_id = $1`, [clientId])
    )[0];
    if (!r) return undefined;
    return {
      clientId: String(r.client_id),
      metadata: String(r.metadata),
      secretSealed: r.secret_sealed === null ? undefined : String(r.secret_sealed),
      createdAt: Number(r.created_at),
    };
  }

  async countClients(): Promise<number> {
    return Number((await this.rows(`SELECT COUNT(*) AS n FROM ${this.t("oauth_clients")}`))[0]?.n ?? 0);
  }

  async pruneIdleClients(before: number, max: number): Promise<number> {
    return this.count(
      `DELETE FROM ${this.t("oauth_clients")} WHERE client_id IN (
         SELECT client_id FROM ${this.t("oauth_clients")}
         WHERE created_at < $1 AND client_id NOT IN (SELECT client_id FROM ${this.t("oauth_grants")})
         ORDER BY created_at LIMIT $2)`,
      [before, max],
    );
  }

  async oldestIdleClient(): Promise<number | undefined> {
    const r = await this.rows(
      `SELECT MIN(created_at) AS t FROM ${this.t("oauth_clients")}
       WHERE client_id NOT IN (SELECT client_id FROM ${this.t("oauth_grants")})`,
    );
    return opt(r[0]?.t);
  }

  async putPending(p: StoredPending): Promise<void> {
    await this.rows(
      `INSERT INTO ${this.t("oauth_pending")} (hash, csrf_hash, request, base_url, key_sealed, subject, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [p.hash, p.csrfHash, p.request, p.baseUrl, p.keySealed, p.subject, p.expiresAt],
    );
  }

  async takePending(hash: string): Promise<StoredPending | undefined> {
    const r = (
      await this.rows(`DELETE FROM ${this.t("oauth_pending")} WHERE hash = $1 RETURNING *`, [hash])
    )[0];
    if (!r) return undefined;
    return {
      hash: String(r.hash),
      csrfHash: String(r.csrf_hash),
      request: String(r.request),
      baseUrl: String(r.base_url),
      keySealed: String(r.key_sealed),
      subject: String(r.subject),
      expiresAt: Number(r.expires_at),
    };
  }

  async createGrant(g: StoredGrant): Promise<void> {
    await this.rows(
      `INSERT INTO ${this.t("oauth_grants")} (id, client_id, base_url, key_sealed, subject, scope, resource, created_at, activated_at, expires_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        g.id,
        g.clientId,
        g.baseUrl,
        g.keySealed,
        g.subject,
        g.scope,
        g.resource,
        g.createdAt,
        g.activatedAt ?? null,
        g.expiresAt,
        g.revokedAt ?? null,
      ],
    );
  }

  async getGrant(id: string): Promise<StoredGrant | undefined> {
    const r = (await this.rows(`SELECT * FROM ${this.t("oauth_grants")} WHERE id = $1`, [id]))[0];
    return r ? grantFrom(r) : undefined;
  }

  async listGrants(): Promise<StoredGrant[]> {
    return (await this.rows(`SELECT * FROM ${this.t("oauth_grants")} ORDER BY created_at, id`)).map(
      grantFrom,
    );
  }

  async activateGrant(id: string, at: number): Promise<void> {
    await this.rows(
      `UPDATE ${this.t("oauth_grants")} SET activated_at = $1 WHERE id = $2 AND activated_at IS NULL`,
      [at, id],
    );
  }

  async revokeGrant(id: string, at: number): Promise<void> {
    await this.tx(async (db) => {
      await db.query(
        `UPDATE ${this.t("oauth_grants")} SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
        [at, id],
      );
      await db.query(`DELETE FROM ${this.t("oauth_tokens")} WHERE grant_id = $1`, [id]);
      await db.query(`DELETE FROM ${this.t("oauth_codes")} WHERE grant_id = $1`, [id]);
    });
  }

  async deleteGrant(id: string): Promise<void> {
    await this.rows(`DELETE FROM ${this.t("oauth_grants")} WHERE id = $1`, [id]);
  }

  async resealGrant(id: string, keySealed: string): Promise<void> {
    await this.rows(`UPDATE ${this.t("oauth_grants")} SET key_sealed = $1 WHERE id = $2`, [keySealed, id]);
  }

  async resealClient(clientId: string, secretSealed: string): Promise<void> {
    await this.rows(`UPDATE ${this.t("oauth_clients")} SET secret_sealed = $1 WHERE client_id = $2`, [
      secretSealed,
      clientId,
    ]);
  }

  async putCode(c: StoredCode): Promise<void> {
    await this.rows(
      `INSERT INTO ${this.t("oauth_codes")} (hash, grant_id, client_id, redirect_uri, redirect_uri_required, code_challenge, resource, expires_at, used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)`,
      [
        c.hash,
        c.grantId,
        c.clientId,
        c.redirectUri,
        c.redirectUriRequired ? 1 : 0,
        c.codeChallenge,
        c.resource,
        c.expiresAt,
      ],
    );
  }

  async useCode(hash: string, at: number): Promise<{ code: StoredCode; firstUse: boolean } | undefined> {
    // Of concurrent exchanges the row lock lets one update; the others see used_at set and update nothing.
    const used = await this.rows(
      `UPDATE ${this.t("oauth_codes")} SET used_at = $1 WHERE hash = $2 AND used_at IS NULL RETURNING *`,
      [at, hash],
    );
    if (used[0]) return { code: codeFrom(used[0]), firstUse: true };
    const r = (await this.rows(`SELECT * FROM ${this.t("oauth_codes")} WHERE hash = $1`, [hash]))[0];
    return r ? { code: codeFrom(r), firstUse: false } : undefined;
  }

  async putToken(t: StoredToken): Promise<void> {
    await this.rows(
      `INSERT INTO ${this.t("oauth_tokens")} (hash, kind, grant_id, client_id, created_at, expires_at, used_at)
       VALUES ($1, $2, $3, $4, $5, $6, NULL)`,
      [t.hash, t.kind, t.grantId, t.clientId, t.createdAt, t.expiresAt],
    );
  }

  async getToken(hash: string): Promise<StoredToken | undefined> {
    const r = (await this.rows(`SELECT * FROM ${this.t("oauth_tokens")} WHERE hash = $1`, [hash]))[0];
    if (!r) return undefined;
    return {
      hash: String(r.hash),
      kind: String(r.kind) as TokenKind,
      grantId: String(r.grant_id),
      clientId: String(r.client_id),
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
      usedAt: opt(r.used_at),
    };
  }

  async useRefreshToken(hash: string, at: number): Promise<boolean> {
    const changed = await this.count(
      `UPDATE ${this.t("oauth_tokens")} SET used_at = $1 WHERE hash = $2 AND kind = 'refresh' AND used_at IS NULL`,
      [at, hash],
    );
    return changed === 1;
  }

  async countHit(key: string, limit: number, windowMs: number, now: number): Promise<Hit> {
    // ON CONFLICT takes the row lock: of concurrent hits on one key each sees the one before it.
    const r = await this.rows(
      countHitSql(this.t("oauth_limits"), (n) => `$${n}`),
      [key, now, now + windowMs],
    );
    return hitFrom(r[0], limit);
  }

  async purge(now: number, unactivatedBefore: number): Promise<void> {
    await this.tx(async (db) => {
      await db.query(`DELETE FROM ${this.t("oauth_limits")} WHERE reset_at <= $1`, [now]);
      await db.query(`DELETE FROM ${this.t("oauth_pending")} WHERE expires_at < $1`, [now]);
      await db.query(`DELETE FROM ${this.t("oauth_codes")} WHERE expires_at < $1`, [now]);
      await db.query(`DELETE FROM ${this.t("oauth_tokens")} WHERE expires_at < $1`, [now]);
      await db.query(
        `DELETE FROM ${this.t("oauth_grants")} WHERE expires_at < $1 OR (activated_at IS NULL AND created_at < $2)`,
        [now, unactivatedBefore],
      );
    });
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

function codeFrom(r: Row): StoredCode {
  return {
    hash: String(r.hash),
    grantId: String(r.grant_id),
    clientId: String(r.client_id),
    redirectUri: String(r.redirect_uri),
    redirectUriRequired: Number(r.redirect_uri_required) !== 0,
    codeChallenge: String(r.code_challenge),
    resource: String(r.resource),
    expiresAt: Number(r.expires_at),
    usedAt: opt(r.used_at),
  };
}
