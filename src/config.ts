import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { bool, dateFrom, int, list, oneOf } from "./config-values.js";
import { LEVELS, type Level } from "./log.js";
import { defaultGrantsPath } from "./oauth/location.js";
import { resolveStoreSetting, type StoreSetting } from "./store/location.js";
import { baseUrlFrom, isLoopback } from "./web/base-url.js";

/**
 * Everything the server is told at start-up, from flags and environment, validated once.
 * Problems are collected (not thrown one by one) so a user fixes them all in one go. The result is
 * one union of transport × upstream: a combination no code path means cannot be written down.
 */

/** Bounds on what per-request credentials or OAuth grants can make the server hold and send upstream. */
export interface TenantLimits {
  /** Distinct (account, key) pairs held at once. */
  maxTenants: number;
  /** Distinct MOCO accounts (base URLs) held at once. */
  maxAccounts: number;
  /** Sockets to MOCO, all accounts together. */
  maxUpstreamConnections: number;
}

export const DEFAULT_TENANT_LIMITS: TenantLimits = Object.freeze({
  maxTenants: 1000,
  maxAccounts: 100,
  maxUpstreamConnections: 400,
});

/** --oauth: this server is the OAuth authorization server; each person's MOCO key comes with their grant. */
export interface OAuthConfig {
  /** The origin clients reach, e.g. https://leads.acme.ch. */
  publicUrl: string;
  /** Sealing secrets, newest first (MOCO_OAUTH_SECRET or _FILE, then MOCO_OAUTH_PREVIOUS_SECRETS). */
  secrets: string[];
  /** MOCO_OAUTH_SUBDOMAINS: the accounts people may connect; ["*"] for any. */
  subdomains: string[];
  /** MOCO_OAUTH_DB: the grant store's node:sqlite file. */
  dbPath: string;
  /** MOCO_OAUTH_DB was set: the grants stay in that file even when MOCO_STORE is PostgreSQL. */
  dbPathGiven?: boolean;
  redirectUris: string[];
  trustProxy: number | undefined;
  /** What the grants' MOCO clients may make the server hold (MCP_MAX_TENANTS, …). */
  limits: TenantLimits;
}

/** The built-in sandbox with demo data. */
export interface SandboxUpstream {
  kind: "sandbox";
  /** --sandbox --oauth (HTTP, a demo): people sign in, and every grant reaches this sandbox. */
  oauth?: OAuthConfig;
}

/** One account whose key the server holds. */
export interface AccountUpstream {
  kind: "account";
  /** Full base URL ending in /api/v1. */
  baseUrl: string;
  apiKey: string;
}

/** HTTP: whatever account each request names in its own X-Moco-* headers. */
export interface PerRequestUpstream {
  kind: "per-request";
  /** Honour X-Moco-Base-Url (loopback addresses only), for tests and demos against a local sandbox. */
  allowBaseUrlHeader: boolean;
  limits: TenantLimits;
}

/** HTTP --oauth: each request runs with the MOCO key of the grant its access token names. */
export interface OAuthUpstream {
  kind: "oauth";
  oauth: OAuthConfig;
}

/** Where MOCO is, and whose key a request uses. */
export type Upstream = SandboxUpstream | AccountUpstream | PerRequestUpstream | OAuthUpstream;

/** The OAuth front door, if this upstream has one. */
export const oauthOf = (upstream: Upstream): OAuthConfig | undefined =>
  upstream.kind === "oauth" || upstream.kind === "sandbox" ? upstream.oauth : undefined;

export interface HttpSettings {
  host: string;
  port: number;
  token: string | undefined;
  allowedHosts: string[];
  allowedOrigins: string[];
  maxBodyBytes: number;
  /** Answer with one JSON body instead of an SSE stream (progress notifications are then dropped). */
  jsonResponse: boolean;
  /** Time a client has to send its headers, its whole request; how long an idle keep-alive socket stays. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Open connections at most, in total and from one remote address. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** The public door (no valid token yet): its connections in total and per address; time for a body. */
  publicDoor: { max: number; perAddress: number; bodyTimeoutMs: number };
}

/** What every transport shares. */
export interface Settings {
  requestTimeoutMs: number;
  toolTimeoutMs: number;
  /** At shutdown, how long requests in flight and then writes already sent to MOCO may take. */
  shutdownGraceMs: number;
  rateLimit: { limit: number; windowMs: number };
  readOnly: boolean;
  logLevel: Level;
  allowTools: string[] | undefined;
  denyTools: string[];
  maxScanPages: number;
  /**
   * The pipeline view (MCP App): "auto" offers it to clients that declare the extension at initialize
   * (stdio; a stateless HTTP server cannot know, so there "auto" means off); "on" always; "off" never.
   */
  apps: "auto" | "on" | "off";
  /** The lead mirror and its history: a file (default in the user's data directory), memory, or off. */
  store: StoreSetting;
  /** A read older than this syncs the mirror with MOCO first. */
  storeFreshSeconds: number;
  /** History older than this is pruned. */
  storeRetentionDays: number;
  /** The longest a tool call waits for a mirror sync; then it answers with what the mirror has. */
  storeAnswerSeconds: number;
  /** How long a sync's lease lasts unrenewed before another instance sharing the store takes the sync over. */
  storeLeaseSeconds: number;
  /** The day counted as today (MOCO_TODAY, for demos and tests); undefined: the server's local date. */
  today: string | undefined;
}

/** stdio: one client, one MOCO account the server itself reaches. */
export interface StdioConfig extends Settings {
  transport: "stdio";
  upstream: (SandboxUpstream & { oauth?: undefined }) | AccountUpstream;
}

export interface HttpConfig extends Settings {
  transport: "http";
  upstream: Upstream;
  http: HttpSettings;
}

export type Config = StdioConfig | HttpConfig;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** Parses flags and environment. `toolNames` are the names an allow- or deny-list may use. */
export function loadConfig(argv: string[], env: Env, toolNames: readonly string[]): Config {
  const problems: string[] = [];
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    throw new ConfigError([`${(error as Error).message}. Run with --help to see the options.`]);
  }
  const upstream = upstreamFrom(flags, env, problems);
  const settings = settingsFrom(flags, env, toolNames, upstream, problems);
  const transport = flags.transport ?? "stdio";
  if (transport !== "stdio" && transport !== "http") {
    problems.push(`--transport must be stdio or http, got "${transport}"`);
  }
  const http = httpFrom(flags, env, transport === "http", oauthOf(upstream) !== undefined, problems);
  const config: Config | undefined =
    transport === "http" ? { ...settings, transport, upstream, http } : stdioConfig(settings, upstream);
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** stdio serves the server's own account; per-request credentials and OAuth were refused on the way. */
function stdioConfig(settings: Settings, upstream: Upstream): StdioConfig | undefined {
  if (upstream.kind === "account") return { ...settings, transport: "stdio", upstream };
  if (upstream.kind === "sandbox" && !upstream.oauth) {
    return { ...settings, transport: "stdio", upstream: { kind: "sandbox" } };
  }
  return undefined;
}

function settingsFrom(
  flags: Flags,
  env: Env,
  toolNames: readonly string[],
  upstream: Upstream,
  problems: string[],
): Settings {
  const num = (name: string, fallback: number, min: number, max: number) =>
    int(env[name], name, fallback, min, max, problems);
  const rate = num("MOCO_RATE_LIMIT", 120, 1, 100_000);
  const logLevel = (env.MOCO_LOG_LEVEL?.trim().toLowerCase() || "info") as Level;
  if (!LEVELS.includes(logLevel)) {
    problems.push(`MOCO_LOG_LEVEL must be one of ${LEVELS.join(", ")}, got "${env.MOCO_LOG_LEVEL}"`);
  }
  const tools = list(flags.tools ?? env.MOCO_TOOLS);
  const deny = list(flags["deny-tools"] ?? env.MOCO_DENY_TOOLS) ?? [];
  for (const name of [...(tools ?? []), ...deny]) {
    if (!toolNames.includes(name)) {
      problems.push(`Unknown tool "${name}" in the tool list; known tools: ${toolNames.join(", ")}`);
    }
  }
  return {
    requestTimeoutMs: num("MOCO_TIMEOUT_MS", 15_000, 100, 600_000),
    toolTimeoutMs: num("MOCO_TOOL_TIMEOUT_MS", 60_000, 100, 3_600_000),
    shutdownGraceMs: num("MOCO_SHUTDOWN_GRACE_MS", 10_000, 0, 120_000),
    rateLimit: { limit: rate, windowMs: 120_000 },
    logLevel,
    readOnly: flags["read-only"] === true || bool(env.MOCO_READ_ONLY, "MOCO_READ_ONLY", problems),
    allowTools: tools,
    denyTools: deny,
    maxScanPages: num("MOCO_MAX_SCAN_PAGES", 20, 1, 1000),
    today: dateFrom(env.MOCO_TODAY, "MOCO_TODAY", problems),
    // The sandbox's demo data is kept in memory unless MOCO_STORE says otherwise.
    store:
      upstream.kind === "sandbox" && !env.MOCO_STORE?.trim()
        ? { kind: "memory" }
        : resolveStoreSetting(env.MOCO_STORE, env, undefined, problems),
    storeFreshSeconds: num("MOCO_STORE_FRESH_SECONDS", 30, 1, 60),
    storeRetentionDays: num("MOCO_STORE_RETENTION_DAYS", 400, 1, 3650),
    storeAnswerSeconds: num("MOCO_STORE_ANSWER_SECONDS", 25, 1, 600),
    storeLeaseSeconds: num("MOCO_STORE_LEASE_SECONDS", 60, 1, 600),
    apps: oneOf(env.MOCO_APPS, "MOCO_APPS", ["auto", "on", "off"] as const, "auto", problems),
  };
}

/** The HTTP settings; read (and checked) whatever the transport, so a mistake shows before it matters. */
function httpFrom(
  flags: Flags,
  env: Env,
  serving: boolean,
  oauth: boolean,
  problems: string[],
): HttpSettings {
  const host = (flags.host ?? "127.0.0.1").trim().replace(/^\[([^\]]*)\]$/, "$1"); // [::1] → ::1
  const port = int(flags.port, "--port", 3000, 0, 65535, problems);
  const token = env.MCP_HTTP_TOKEN?.trim() || undefined;
  if (oauth && token) problems.push("--oauth and MCP_HTTP_TOKEN exclude each other: OAuth issues the tokens");
  if (token !== undefined && token.length < 24) {
    problems.push(
      "MCP_HTTP_TOKEN is too short to guard anything: use 24+ random characters, e.g. `openssl rand -hex 32`",
    );
  }
  if (serving && !isLoopback(host) && !token && !oauth) {
    problems.push(
      `Binding to ${host} exposes the server to the network: set MCP_HTTP_TOKEN to a long random secret`,
    );
  }
  const ms = (name: string, fallback: number) => int(env[name], name, fallback, 100, 600_000, problems);
  const count = (name: string, fallback: number) => int(env[name], name, fallback, 1, 100_000, problems);
  const total = count("MCP_HTTP_MAX_CONNECTIONS", 512);
  const publicMax = Math.min(total, count("MCP_HTTP_MAX_PUBLIC_CONNECTIONS", Math.ceil(total / 4)));
  const perAddress = Math.min(publicMax, count("MCP_HTTP_MAX_PUBLIC_CONNECTIONS_PER_ADDRESS", 16));
  const http: HttpSettings = {
    host,
    port,
    token,
    allowedHosts: list(env.MCP_ALLOWED_HOSTS) ?? [],
    allowedOrigins: list(env.MCP_ALLOWED_ORIGINS) ?? [],
    maxBodyBytes: 1024 * 1024,
    jsonResponse: bool(env.MCP_HTTP_JSON_RESPONSE, "MCP_HTTP_JSON_RESPONSE", problems),
    headersTimeoutMs: ms("MCP_HTTP_HEADERS_TIMEOUT_MS", 10_000),
    requestTimeoutMs: ms("MCP_HTTP_REQUEST_TIMEOUT_MS", 30_000),
    keepAliveTimeoutMs: ms("MCP_HTTP_KEEP_ALIVE_TIMEOUT_MS", 5_000),
    maxConnections: total,
    maxConnectionsPerAddress: count("MCP_HTTP_MAX_CONNECTIONS_PER_ADDRESS", 128),
    publicDoor: { max: publicMax, perAddress, bodyTimeoutMs: ms("MCP_HTTP_PUBLIC_BODY_TIMEOUT_MS", 5_000) },
  };
  const late = http.headersTimeoutMs > http.requestTimeoutMs;
  if (late) problems.push("MCP_HTTP_HEADERS_TIMEOUT_MS must not exceed MCP_HTTP_REQUEST_TIMEOUT_MS");
  return http;
}

/** The OAuth settings without their tenant limits (those are read with the upstream). */
function oauthFrom(flags: Flags, env: Env, problems: string[]): Omit<OAuthConfig, "limits"> | undefined {
  if (flags.oauth !== true) {
    if (flags["public-url"] !== undefined) problems.push("--public-url only works with --oauth");
    return undefined;
  }
  if (flags.transport !== "http") problems.push("--oauth only works with --transport http");
  if (flags["per-request-credentials"] === true) {
    problems.push("--oauth and --per-request-credentials exclude each other: the grant carries the MOCO key");
  }
  const publicUrl = flags["public-url"]?.trim() ?? "";
  if (!publicUrl)
    problems.push("--oauth needs --public-url, the https origin clients reach, e.g. https://leads.acme.ch");
  const secret = secretFrom(env, problems);
  const subdomains = list(env.MOCO_OAUTH_SUBDOMAINS) ?? [];
  if (subdomains.length === 0 && flags.sandbox !== true) {
    problems.push(
      '--oauth needs MOCO_OAUTH_SUBDOMAINS: the MOCO accounts people may connect, e.g. "acme" (or "*")',
    );
  }
  const proxies = env.MCP_TRUST_PROXY?.trim();
  return {
    publicUrl,
    secrets: [secret ?? "", ...(list(env.MOCO_OAUTH_PREVIOUS_SECRETS) ?? [])],
    subdomains,
    dbPath: env.MOCO_OAUTH_DB?.trim() || defaultGrantsPath(env),
    dbPathGiven: Boolean(env.MOCO_OAUTH_DB?.trim()),
    redirectUris: list(env.MOCO_OAUTH_REDIRECT_URIS) ?? [],
    trustProxy: proxies ? int(proxies, "MCP_TRUST_PROXY", 1, 1, 10, problems) : undefined,
  };
}

/** MOCO_OAUTH_SECRET, or the first line of MOCO_OAUTH_SECRET_FILE. */
function secretFrom(env: Env, problems: string[]): string | undefined {
  let secret = env.MOCO_OAUTH_SECRET?.trim();
  const file = env.MOCO_OAUTH_SECRET_FILE?.trim();
  if (file) {
    try {
      secret = readFileSync(file, "utf8").split(/\r?\n/)[0]?.trim();
    } catch {
      problems.push(`MOCO_OAUTH_SECRET_FILE cannot be read: ${file}`);
    }
  }
  if (!secret || secret.length < 32) {
    problems.push(
      "--oauth needs MOCO_OAUTH_SECRET (or MOCO_OAUTH_SECRET_FILE): 32+ random characters, e.g. `openssl rand -base64 48`",
    );
  }
  return secret;
}

function upstreamFrom(flags: Flags, env: Env, problems: string[]): Upstream {
  const allowBaseUrlHeader = bool(env.MCP_ALLOW_BASE_URL_HEADER, "MCP_ALLOW_BASE_URL_HEADER", problems);
  const oauth = oauthFrom(flags, env, problems);
  const perRequest = flags["per-request-credentials"] === true;
  // With --oauth (and no sandbox) every request brings its own MOCO credentials, from its grant.
  if (perRequest || (oauth && flags.sandbox !== true)) {
    // A team server that takes each request's own MOCO credentials needs none of its own.
    if (flags.transport !== "http")
      problems.push("--per-request-credentials only works with --transport http");
    if (flags.sandbox === true) {
      problems.push("--sandbox and --per-request-credentials exclude each other: choose where MOCO is");
    }
    const limits = limitsFrom(env, problems);
    if (oauth && !perRequest) return { kind: "oauth", oauth: { ...oauth, limits } };
    return { kind: "per-request", allowBaseUrlHeader, limits };
  }
  if (allowBaseUrlHeader)
    problems.push("MCP_ALLOW_BASE_URL_HEADER only works with --per-request-credentials");
  if (flags.sandbox === true) {
    return oauth
      ? { kind: "sandbox", oauth: { ...oauth, limits: limitsFrom(env, problems) } }
      : { kind: "sandbox" };
  }
  const apiKey = env.MOCO_API_KEY?.trim() ?? "";
  if (apiKey === "") {
    problems.push(
      "MOCO_API_KEY is missing: in MOCO open your profile → Integrations and copy the API key (or use --sandbox to try the server without an account)",
    );
  }
  return { kind: "account", baseUrl: baseUrlFrom(env, problems) ?? "", apiKey };
}

/** MCP_MAX_TENANTS, MCP_MAX_ACCOUNTS, MCP_UPSTREAM_CONNECTIONS. */
function limitsFrom(env: Env, problems: string[]): TenantLimits {
  const d = DEFAULT_TENANT_LIMITS;
  const num = (name: string, fallback: number, max: number) =>
    int(env[name], name, fallback, 1, max, problems);
  const limits = {
    maxTenants: num("MCP_MAX_TENANTS", d.maxTenants, 100_000),
    maxAccounts: num("MCP_MAX_ACCOUNTS", d.maxAccounts, 10_000),
    maxUpstreamConnections: num("MCP_UPSTREAM_CONNECTIONS", d.maxUpstreamConnections, 100_000),
  };
  // Each account gets an equal share of the sockets, at least one.
  if (limits.maxAccounts > limits.maxUpstreamConnections) {
    problems.push("MCP_MAX_ACCOUNTS must not exceed MCP_UPSTREAM_CONNECTIONS (each account needs a socket)");
  }
  return limits;
}

type Flags = ReturnType<typeof parseFlags>;

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      sandbox: { type: "boolean" },
      "read-only": { type: "boolean" },
      tools: { type: "string" },
      "deny-tools": { type: "string" },
      transport: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      "per-request-credentials": { type: "boolean" },
      oauth: { type: "boolean" },
      "public-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
}

export const wantsHelp = (argv: string[]) => argv.includes("--help") || argv.includes("-h");
