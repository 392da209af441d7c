import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Agent, type Dispatcher } from "undici";
import { isLoopback, resolveBaseUrl } from "../config.js";
import type { MocoClient } from "../moco/client.js";

/**
 * Per-request MOCO credentials: one deployment, many users, each with their own MOCO key and
 * permissions. A tenant is (base URL, API key); it gets its own MocoClient, so its own rate
 * budget, and every tenant shares one connection pool. Keys live only inside their client and
 * are looked up by a SHA-256 hash; nothing here logs or echoes them.
 */
export type MakeClient = (baseUrl: string, apiKey: string, dispatcher?: Dispatcher) => MocoClient;

export const CREDENTIAL_HEADERS = ["x-moco-api-key", "x-moco-subdomain", "x-moco-base-url"] as const;

export type TenantResult =
  | { ok: true; client: MocoClient; tenant: string }
  | { ok: false; status: 400 | 401; message: string };

const one = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s ? s : undefined;
};

export class TenantClients {
  private readonly clients = new Map<string, MocoClient>();
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 64, pipelining: 1 });

  constructor(
    private readonly make: MakeClient,
    private readonly options: { allowBaseUrlHeader: boolean; maxTenants?: number },
  ) {}

  get size(): number {
    return this.clients.size;
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
    const key = createHash("sha256").update(baseUrl).update("\0").update(apiKey).digest("hex");
    let client = this.clients.get(key);
    if (client) {
      this.clients.delete(key); // re-insert: a Map iterates in insertion order, so this is the LRU bump
    } else {
      client = this.make(baseUrl, apiKey, this.agent);
      const max = this.options.maxTenants ?? 1000;
      while (this.clients.size >= max) {
        const oldest = this.clients.keys().next().value as string;
        // The shared agent stays open; the evicted client only loses its rate history.
        void this.clients.get(oldest)?.close();
        this.clients.delete(oldest);
      }
    }
    this.clients.set(key, client);
    return { ok: true, client, tenant: key.slice(0, 8) };
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close().catch(() => {})));
    this.clients.clear();
    await this.agent.close();
  }
}
