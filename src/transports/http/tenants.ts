import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { DEFAULT_TENANT_LIMITS, type TenantLimits } from "../../config.js";
import { type MocoClient, type Pool, pool } from "../../moco/client.js";
import { type RateLimit, RateLimiter } from "../../moco/rate-limit.js";
import { isLoopback, resolveBaseUrl } from "../../web/base-url.js";

/**
 * Per-request MOCO credentials: one deployment, many users, each with their own MOCO key and
 * permissions. A tenant is (base URL, API key); it gets its own MocoClient, so its own rate budget,
 * and every tenant of one MOCO account also shares that account's budget and connection pool, so
 * rotating keys cannot multiply what the server sends to one account. Accounts and tenants are
 * capped; only idle ones are forgotten (their rate history is empty, so forgetting loses no budget),
 * and a forgotten account's sockets are closed. Keys live only inside their client and are looked
 * up by a SHA-256 hash; nothing here logs or echoes them.
 */
export interface SharedUpstream {
  /** The account's connections. */
  pool: Pool;
  /** The account's rate budget, shared by all its keys. */
  accountBudget: RateLimiter;
}

export type MakeClient = (baseUrl: string, apiKey: string, shared?: SharedUpstream) => MocoClient;

export const CREDENTIAL_HEADERS = ["x-moco-api-key", "x-moco-subdomain", "x-moco-base-url"] as const;

export type TenantResult =
  | { ok: true; client: MocoClient; tenant: string }
  | { ok: false; status: 400 | 401 | 503; message: string };

export interface TenantOptions {
  allowBaseUrlHeader: boolean;
  /** Each account's budget; every key's own comes from MakeClient. */
  rateLimit: RateLimit;
  limits?: Partial<TenantLimits>;
}

interface Account {
  shared: SharedUpstream;
  /** By hash of the key; insertion order is use order (least recent first). */
  clients: Map<string, MocoClient>;
}

const one = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s ? s : undefined;
};

export class TenantClients {
  /** By base URL; insertion order is use order (least recent first). */
  private readonly accounts = new Map<string, Account>();
  private tenants = 0;
  private readonly limits: TenantLimits;

  constructor(
    private readonly make: MakeClient,
    private readonly options: TenantOptions,
  ) {
    this.limits = { ...DEFAULT_TENANT_LIMITS, ...options.limits };
  }

  get size(): number {
    return this.tenants;
  }

  get accountCount(): number {
    return this.accounts.size;
  }

  /** The client for the credentials in these headers, or why there is none. Values are never echoed. */
  resolve(headers: IncomingHttpHeaders): TenantResult {
    const apiKey = one(headers, "x-moco-api-key");
    const subdomain = one(headers, "x-moco-subdomain");
    const rawBase = one(headers, "x-moco-base-url");
    if (!apiKey || (!subdomain && !rawBase)) {
      return {
        ok: false,
        status: 401,
        message:
          "Missing MOCO credentials: this server takes them per request. Send the headers X-Moco-Api-Key (MOCO: your profile → Integrations → API key) and X-Moco-Subdomain (e.g. acme for acme.mocoapp.com).",
      };
    }
    let baseUrl: string | undefined;
    if (rawBase) {
      if (!this.options.allowBaseUrlHeader) {
        return {
          ok: false,
          status: 400,
          message: "X-Moco-Base-Url is not accepted by this server; send X-Moco-Subdomain instead.",
        };
      }
      baseUrl = resolveBaseUrl({ baseUrl: rawBase });
      if (!baseUrl || !isLoopback(new URL(baseUrl).hostname)) {
        return {
          ok: false,
          status: 400,
          message:
            "X-Moco-Base-Url must be a loopback URL ending in /api/v1, e.g. http://127.0.0.1:4010/api/v1.",
        };
      }
    } else {
      baseUrl = resolveBaseUrl({ subdomain });
      if (!baseUrl) {
        return {
          ok: false,
          status: 400,
          message:
            'X-Moco-Subdomain is not a valid MOCO subdomain: send only the first part, e.g. "acme" or "acme.mocoapp.com".',
        };
      }
    }
    return this.forAccount(baseUrl, apiKey);
  }

  /** The client for a key at an account already validated (per-request headers, or an OAuth grant). */
  forAccount(baseUrl: string, apiKey: string): TenantResult {
    const key = createHash("sha256").update(baseUrl).update("\0").update(apiKey).digest("hex");
    const account = this.accounts.get(baseUrl) ?? this.openAccount(baseUrl);
    if (!account) return busy(`MOCO accounts (${this.limits.maxAccounts})`);
    this.accounts.delete(baseUrl); // re-insert: the LRU bump
    this.accounts.set(baseUrl, account);
    let client = account.clients.get(key);
    if (client) {
      account.clients.delete(key);
    } else {
      if (this.tenants >= this.limits.maxTenants && !this.evictTenant()) {
        return busy(`MOCO keys (${this.limits.maxTenants})`);
      }
      client = this.make(baseUrl, apiKey, account.shared);
      this.tenants++;
    }
    account.clients.set(key, client);
    return { ok: true, client, tenant: key.slice(0, 8) };
  }

  /** Writes still unanswered after `ms`, over every tenant (shutdown). */
  async drain(ms: number): Promise<{ tenant: string; method: string; path: string }[]> {
    const all = [...this.accounts.values()].flatMap((a) => [...a.clients.entries()]);
    const open = await Promise.all(
      all.map(async ([key, client]) =>
        (await client.drain(ms)).map((w) => ({ tenant: key.slice(0, 8), ...w })),
      ),
    );
    return open.flat();
  }

  private openAccount(baseUrl: string): Account | undefined {
    if (this.accounts.size >= this.limits.maxAccounts && !this.evictAccount()) return undefined;
    const connections = Math.max(1, Math.floor(this.limits.maxUpstreamConnections / this.limits.maxAccounts));
    const account: Account = {
      shared: {
        pool: pool(connections),
        accountBudget: new RateLimiter(this.options.rateLimit),
      },
      clients: new Map(),
    };
    this.accounts.set(baseUrl, account);
    return account;
  }

  /** Forgets the least recently used idle account, closing its sockets; false if every one is busy. */
  private evictAccount(): boolean {
    for (const [url, account] of this.accounts) {
      if (!account.shared.accountBudget.idle()) continue;
      if (![...account.clients.values()].every((c) => c.budget.idle())) continue;
      this.accounts.delete(url);
      this.tenants -= account.clients.size;
      void Promise.all([...account.clients.values()].map((c) => c.close().catch(() => {}))).then(() =>
        account.shared.pool.close(true).catch(() => {}),
      );
      return true;
    }
    return false;
  }

  /** Forgets the least recently used idle key of any account; false if every one is busy. */
  private evictTenant(): boolean {
    for (const account of this.accounts.values()) {
      for (const [key, client] of account.clients) {
        if (!client.budget.idle()) continue;
        account.clients.delete(key);
        this.tenants--;
        void client.close().catch(() => {});
        return true;
      }
    }
    return false;
  }

  async close(): Promise<void> {
    const accounts = [...this.accounts.values()];
    this.accounts.clear();
    this.tenants = 0;
    await Promise.all(
      accounts.map(async (a) => {
        await Promise.all([...a.clients.values()].map((c) => c.close().catch(() => {})));
        // After drain: what is still open has had its grace and is cut off, not waited for.
        await a.shared.pool.close(true).catch(() => {});
      }),
    );
  }
}

/** Every slot is held by an account or key that used MOCO within the last rate window. */
function busy(what: string): TenantResult {
  return {
    ok: false,
    status: 503,
    message: `This server is serving as many distinct ${what} as it may right now; retry in a minute.`,
  };
}
