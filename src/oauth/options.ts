import { isLoopback } from "../web/base-url.js";
import type { GrantStore } from "./store.js";

export interface OAuthOptions {
  /** Where clients reach this server: an origin such as https://leads.acme.ch (no path). MCP is at /mcp. */
  publicUrl: string;
  /** A GrantStore, or the node:sqlite file to keep one in (":memory:" for a throw-away one). */
  store: GrantStore | { sqlitePath: string };
  /** The sealing secrets: the first seals, all open (rotation). See secretsFromEnv(). */
  secrets: readonly string[];
  /**
   * The MOCO accounts (subdomains, e.g. "acme") people may connect. One entry: the page shows it
   * fixed. ["*"]: any account (a public server; think twice).
   */
  subdomains: readonly string[];
  /**
   * TEST AND DEMO ONLY: every sign-in goes to this loopback MOCO (e.g. the sandbox,
   * http://127.0.0.1:4010/api/v1) instead of a subdomain. Refused for any non-loopback URL.
   */
  loopbackBaseUrl?: string;
  /** The server registers no write tool: people can only grant read-only access. */
  readOnly?: boolean;
  /** Further exact redirect URIs clients may register, besides claude.ai's and ChatGPT's. */
  redirectUris?: readonly string[];
  /** Allow http://127.0.0.1|localhost:<port> redirect URIs (native clients). Default true. */
  allowLoopbackRedirects?: boolean;
  /** Extra Host header values accepted besides the public URL's (e.g. "127.0.0.1:3000" behind a proxy). */
  allowedHosts?: readonly string[];
  /** Express "trust proxy" (hops, or true) so per-client rate limits see the client's address. */
  trustProxy?: boolean | number;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  grantTtlSeconds?: number;
  /**
   * Registered clients kept at most. Default 1000. At the cap, clients without a grant that are
   * older than an hour make room, oldest first.
   */
  maxClients?: number;
  /** Client registrations per address and hour. Default 60. */
  registrationsPerHour?: number;
  /**
   * Client registrations per minute for the whole server, from all addresses together. Default 15:
   * an hour of them (900) stays below maxClients, so the cap always finds idle clients an hour old.
   */
  registrationsPerMinute?: number;
  /**
   * Token requests per address and 15 minutes. Default 1000: a hosted assistant refreshes for
   * every person of a team from a few addresses of its own.
   */
  tokenRequestsPer15Minutes?: number;
  /** Sign-in attempts (key checks) per address and 15 minutes. Default 20. */
  signInsPer15Minutes?: number;
  userAgent: string;
  requestTimeoutMs?: number;
  /** The clock, for tests of expiry. */
  now?: () => number;
}

export interface Resolved {
  origin: string;
  secure: boolean;
  resource: string;
  resourceMetadataUrl: string;
  host: string;
  accessTtlMs: number;
  refreshTtlMs: number;
  grantTtlMs: number;
  codeTtlMs: number;
  pendingTtlMs: number;
  now: () => number;
}

export const SCOPE_READ = "leads:read";
export const SCOPE_WRITE = "leads:write";
export const SCOPES = [SCOPE_READ, SCOPE_WRITE] as const;

export function resolveOptions(o: OAuthOptions): Resolved {
  let url: URL;
  try {
    url = new URL(o.publicUrl);
  } catch {
    throw new Error(`--public-url is not a URL: ${o.publicUrl}`);
  }
  const loopback = isLoopback(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error("--public-url must use https:// (http:// only on loopback, for tests)");
  }
  if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
    throw new Error("--public-url must be an origin only, e.g. https://leads.acme.ch");
  }
  if (o.subdomains.length === 0 && !o.loopbackBaseUrl) {
    throw new Error('OAuth needs the MOCO subdomains people may connect (or "*" for any)');
  }
  if (o.loopbackBaseUrl !== undefined && !isLoopback(new URL(o.loopbackBaseUrl).hostname)) {
    throw new Error("loopbackBaseUrl is for tests and demos: it must be a loopback URL");
  }
  const seconds = (v: number | undefined, fallback: number) => (v ?? fallback) * 1000;
  return {
    origin: url.origin,
    secure: url.protocol === "https:",
    resource: `${url.origin}/mcp`,
    resourceMetadataUrl: `${url.origin}/.well-known/oauth-protected-resource/mcp`,
    host: url.host,
    accessTtlMs: seconds(o.accessTokenTtlSeconds, 15 * 60),
    refreshTtlMs: seconds(o.refreshTokenTtlSeconds, 30 * 24 * 3600),
    grantTtlMs: seconds(o.grantTtlSeconds, 90 * 24 * 3600),
    codeTtlMs: 120_000,
    pendingTtlMs: 10 * 60_000,
    now: o.now ?? Date.now,
  };
}

/**
 * The sealing secrets from the environment: MOCO_OAUTH_SECRET, or the first line of the file
 * MOCO_OAUTH_SECRET_FILE, then MOCO_OAUTH_PREVIOUS_SECRETS (comma-separated) that still open
 * what they sealed. Undefined when none is set.
 */
export function secretsFromEnv(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): string[] | undefined {
  const file = env.MOCO_OAUTH_SECRET_FILE?.trim();
  const current = file ? readFile(file).split(/\r?\n/)[0]?.trim() : env.MOCO_OAUTH_SECRET?.trim();
  if (!current) return undefined;
  const previous = (env.MOCO_OAUTH_PREVIOUS_SECRETS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return [current, ...previous];
}
