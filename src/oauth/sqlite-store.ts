import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { log } from "../log.js";
import { countHitSql, GRANT_TABLES, grantFrom, hitFrom, LIMIT_TABLE } from "../store/grant-schema.js";
import type {
  GrantStore,
  Hit,
  StoredClient,
  StoredCode,
  StoredGrant,
  StoredPending,
  StoredToken,
  TokenKind,
} from "./store.js";

/**
 * The grant store on node:sqlite (built in, no dependency). Only tables named oauth_*, so it can
 * share one database file with the lead mirror. The SQL is kept to what PostgreSQL also speaks
 * (TEXT, BIGINT, plain INSERT/UPDATE/DELETE; the one upsert, countHit, is written once for both).
 */
const MIGRATIONS: readonly string[] = [
  `${GRANT_TABLES};`,
  // The person's name and e-mail are shown on the consent page and not needed after it.
  `UPDATE oauth_grants SET subject = json_object('account', json_extract(subject, '$.account'));
   UPDATE oauth_pending SET subject = json_object('account', json_extract(subject, '$.account'));`,
  "ALTER TABLE oauth_codes ADD COLUMN redirect_uri_required INTEGER NOT NULL DEFAULT 1",
  LIMIT_TABLE,
];
const COUNT_HIT = countHitSql("oauth_limits", (n) => `?${n}`);

type Row = Record<string, SQLInputValue>;
const BUSY_TIMEOUT_MS = 5000;
const OPEN_WAITS_MS = [250, 500, 1000, 2000, 4000, 8000, 15_000, 30_000, 30_000, 30_000];
/** SQLITE_BUSY (5) and SQLITE_LOCKED (6), extended codes included. */
const isBusy = (error: unknown) => {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === "number" && [5, 6].includes(code & 0xff);
};
const opt = (v: SQLInputValue | undefined): number | undefined =>
  v === null || v === undefined ? undefined : Number(v);

export class SqliteGrantStore implements GrantStore {
  private readonly db: DatabaseSync;

  /**
   * `path`: a file, or ":memory:". The schema is brought up to date on open. `openBusyMs`: how
   * long to wait for another connection's lock while opening (see open()).
   */
  constructor(path: string, openBusyMs = BUSY_TIMEOUT_MS) {
    this.db = new DatabaseSync(path === ":memory:" ? path : privateFile(path));
    try {
      this.db.exec(`PRAGMA busy_timeout = ${openBusyMs}; PRAGMA foreign_keys = ON`);
      if (path !== ":memory:") this.db.exec("PRAGMA journal_mode = WAL");
      this.migrate();
      this.db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /**
   * Opens the store; a file another process holds locked (SQLite busy or locked, e.g. a backup or
   * a second server migrating it) is tried again after a growing pause, for about two minutes,
   * rather than failing the start. The waits are given for tests.
   */
  static async open(path: string, waits: readonly number[] = OPEN_WAITS_MS): Promise<SqliteGrantStore> {
    for (let attempt = 0; ; attempt++) {
      try {
        return new SqliteGrantStore(path, 100);
      } catch (error) {
        const wait = waits[attempt];
        if (wait === undefined || !isBusy(error)) throw error;
        log(
          "warn",
          `oauth: the grant store ${path} is locked by another connection; trying again in ${wait} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** The schema version this database is at (for tests and the operator). */
  get schemaVersion(): number {
    const row = this.db.prepare("SELECT MAX(version) AS v FROM oauth_migrations").get() as Row | undefined;
    return Number(row?.v ?? 0);
  }

  private migrate(): void {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS oauth_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
    );
    const current = this.schemaVersion;
    MIGRATIONS.forEach((sql, index) => {
      const version = index + 1;
      if (version <= current) return;
      this.tx(() => {
        this.db.exec(sql);
        this.db
          .prepare("INSERT INTO oauth_migrations (version, applied_at) VALUES (?, ?)")
          .run(version, Date.now());
      });
    });
  }

  private tx<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  private run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.db.prepare(sql).run(...params).changes);
  }

  private one(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.db.prepare(sql).get(...params) as Row | undefined;
  }

  async putClient(c: StoredClient): Promise<void> {
    this.run(
      "INSERT INTO oauth_clients (client_id, metadata, secret_sealed, created_at) VALUES (?, ?, ?, ?)",
      c.clientId,
      c.metadata,
      c.secretSealed ?? null,
      c.createdAt,
    );
  }

  async getClient(clientId: string): Promise<StoredClient | undefined> {
    const r = this.one("SELECT * FROM oauth_clients WHERE client_id = ?", clientId);
    if (!r) return undefined;
    return {
      clientId: String(r.client_id),
      metadata: String(r.metadata),
      secretSealed: r.secret_sealed === null ? undefined : String(r.secret_sealed),
      createdAt: Number(r.created_at),
    };
  }

  async countClients(): Promise<number> {
    return Number(this.one("SELECT COUNT(*) AS n FROM oauth_clients")?.n ?? 0);
  }

  async pruneIdleClients(before: number, max: number): Promise<number> {
    return this.run(
      `DELETE FROM oauth_clients WHERE client_id IN (
         SELECT client_id FROM oauth_clients
         WHERE created_at < ? AND client_id NOT IN (SELECT client_id FROM oauth_grants)
         ORDER BY created_at LIMIT ?)`,
      before,
      max,
    );
  }

  async oldestIdleClient(): Promise<number | undefined> {
    const row = this.one(
      "SELECT MIN(created_at) AS t FROM oauth_clients WHERE client_id NOT IN (SELECT client_id FROM oauth_grants)",
    );
    return opt(row?.t);
  }

  async putPending(p: StoredPending): Promise<void> {
    this.run(
      "INSERT INTO oauth_pending (hash, csrf_hash, request, base_url, key_sealed, subject, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      p.hash,
      p.csrfHash,
      p.request,
      p.baseUrl,
      p.keySealed,
      p.subject,
      p.expiresAt,
    );
  }

  async takePending(hash: string): Promise<StoredPending | undefined> {
    return this.tx(() => {
      const r = this.one("SELECT * FROM oauth_pending WHERE hash = ?", hash);
      if (!r) return undefined;
      this.run("DELETE FROM oauth_pending WHERE hash = ?", hash);
      return {
        hash: String(r.hash),
        csrfHash: String(r.csrf_hash),
        request: String(r.request),
        baseUrl: String(r.base_url),
        keySealed: String(r.key_sealed),
        subject: String(r.subject),
        expiresAt: Number(r.expires_at),
      };
    });
  }

  async createGrant(g: StoredGrant): Promise<void> {
    this.run(
      `INSERT INTO oauth_grants (id, client_id, base_url, key_sealed, subject, scope, resource, created_at, activated_at, expires_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    );
  }

  async getGrant(id: string): Promise<StoredGrant | undefined> {
    const r = this.one("SELECT * FROM oauth_grants WHERE id = ?", id);
    return r ? grantFrom(r) : undefined;
  }

  async listGrants(): Promise<StoredGrant[]> {
    return (this.db.prepare("SELECT * FROM oauth_grants ORDER BY created_at").all() as Row[]).map(grantFrom);
  }

  async activateGrant(id: string, at: number): Promise<void> {
    this.run("UPDATE oauth_grants SET activated_at = ? WHERE id = ? AND activated_at IS NULL", at, id);
  }

  async revokeGrant(id: string, at: number): Promise<void> {
    this.tx(() => {
      this.run("UPDATE oauth_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", at, id);
      this.run("DELETE FROM oauth_tokens WHERE grant_id = ?", id);
      this.run("DELETE FROM oauth_codes WHERE grant_id = ?", id);
    });
  }

  async deleteGrant(id: string): Promise<void> {
    this.run("DELETE FROM oauth_grants WHERE id = ?", id);
  }

  async resealGrant(id: string, keySealed: string): Promise<void> {
    this.run("UPDATE oauth_grants SET key_sealed = ? WHERE id = ?", keySealed, id);
  }

  async resealClient(clientId: string, secretSealed: string): Promise<void> {
    this.run("UPDATE oauth_clients SET secret_sealed = ? WHERE client_id = ?", secretSealed, clientId);
  }

  async putCode(c: StoredCode): Promise<void> {
    this.run(
      "INSERT INTO oauth_codes (hash, grant_id, client_id, redirect_uri, redirect_uri_required, code_challenge, resource, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
      c.hash,
      c.grantId,
      c.clientId,
      c.redirectUri,
      c.redirectUriRequired ? 1 : 0,
      c.codeChallenge,
      c.resource,
      c.expiresAt,
    );
  }

  async useCode(hash: string, at: number): Promise<{ code: StoredCode; firstUse: boolean } | undefined> {
    return this.tx(() => {
      const firstUse =
        this.run("UPDATE oauth_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL", at, hash) === 1;
      const r = this.one("SELECT * FROM oauth_codes WHERE hash = ?", hash);
      if (!r) return undefined;
      const code: StoredCode = {
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
      return { code, firstUse };
    });
  }

  async putToken(t: StoredToken): Promise<void> {
    this.run(
      "INSERT INTO oauth_tokens (hash, kind, grant_id, client_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
      t.hash,
      t.kind,
      t.grantId,
      t.clientId,
      t.createdAt,
      t.expiresAt,
    );
  }

  async getToken(hash: string): Promise<StoredToken | undefined> {
    const r = this.one("SELECT * FROM oauth_tokens WHERE hash = ?", hash);
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
    return (
      this.run(
        "UPDATE oauth_tokens SET used_at = ? WHERE hash = ? AND kind = 'refresh' AND used_at IS NULL",
        at,
        hash,
      ) === 1
    );
  }

  async countHit(key: string, limit: number, windowMs: number, now: number): Promise<Hit> {
    return hitFrom(this.one(COUNT_HIT, key, now, now + windowMs), limit);
  }

  async purge(now: number, unactivatedBefore: number): Promise<void> {
    this.tx(() => {
      this.run("DELETE FROM oauth_limits WHERE reset_at <= ?", now);
      this.run("DELETE FROM oauth_pending WHERE expires_at < ?", now);
      this.run("DELETE FROM oauth_codes WHERE expires_at < ?", now);
      this.run("DELETE FROM oauth_tokens WHERE expires_at < ?", now);
      this.run(
        "DELETE FROM oauth_grants WHERE expires_at < ? OR (activated_at IS NULL AND created_at < ?)",
        now,
        unactivatedBefore,
      );
    });
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}

/**
 * The file holds sealed MOCO keys: owner-only, in an owner-only directory when we create it. An
 * existing directory others can enter is the operator's choice; it is named on stderr.
 */
function privateFile(path: string): string {
  const dir = dirname(path);
  if (existsSync(dir)) {
    if ((statSync(dir).mode & 0o077) !== 0 && process.platform !== "win32") {
      log("warn", `oauth: the grant store's directory ${dir} is open to other users; 0700 is safer`);
    }
  } else {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
  // SQLite gives its -wal and -shm files the database file's permissions.
  chmodSync(path, 0o600);
  return path;
}
