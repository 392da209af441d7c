import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { LEVELS, type Level } from "./log.js";
import { resolveStoreSetting, type StoreSetting } from "./store/location.js";
import { baseUrlFrom, isLoopback } from "./web/base-url.js";

/**
 * Everything the server is told at start-up, from flags and environment, validated once.
 * Problems are collected (not thrown one by one) so a user fixes them all in one go.
 */
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
  redirectUris: string[];
  trustProxy: number | undefined;
}

export interface HttpConfig {
  oauth: OAuthConfig | undefined;
  host: string;
  port: number;
  token: string | undefined;
  allowedHosts: string[];
  allowedOrigins: string[];
  maxBodyBytes: number;
  /** Answer with one JSON body instead of an SSE stream (progress notifications are then dropped). */
  jsonResponse: boolean;
  /** Time a client has to send its request headers, and its whole request. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Open connections at most, in total and from one remote address. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

/** Bounds on what per-request credentials can make the server hold and send upstream. */
export interface TenantLimits {
  /** Distinct (account, key) pairs held at once. */
  maxTenants: number;
  /** Distinct MOCO accounts (base URLs) held at once. */
  maxAccounts: number;
  /** Sockets to MOCO, all accounts together. */
  maxUpstreamConnections: number;
}

/**
 * Where MOCO is: the built-in sandbox, one account whose key the server holds, or (HTTP only) whatever
 * account each request names in its own headers. One field, so no combination exists that no code means.
 */
export type Upstream =
  | { kind: "sandbox" }
  | { kind: "account" /** Full base URL ending in /api/v1. */; baseUrl: string; apiKey: string }
  | {
      kind: "per-request";
      /** Honour X-Moco-Base-Url (loopback addresses only), for tests and demos against a local sandbox. */
      allowBaseUrlHeader: boolean;
      limits: TenantLimits;
    };

export const DEFAULT_TENANT_LIMITS: TenantLimits = Object.freeze({
  maxTenants: 1000,
  maxAccounts: 100,
  maxUpstreamConnections: 400,
});

export interface Config {
  upstream: Upstream;
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
  /** The day counted as today (MOCO_TODAY, for demos and tests); undefined: the server's local date. */
  today: string | undefined;
  transport: "stdio" | "http";
  http: HttpConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export const HELP = `moco-leads-mcp — an MCP server for the leads (deals) of a MOCO account

Usage: moco-leads-mcp [options]

Options:
  --sandbox                 run against a built-in MOCO sandbox with demo data (no account needed)
  --read-only               register no tool that writes (env MOCO_READ_ONLY=true)
  --tools a,b               only register these tools (env MOCO_TOOLS)
  --deny-tools a,b          never register these tools (env MOCO_DENY_TOOLS)
  --transport stdio|http    default stdio
  --host H --port P         for --transport http (default 127.0.0.1:3000)
  --per-request-credentials for --transport http: take MOCO credentials from each request's headers
  --oauth --public-url URL  for --transport http: people connect with OAuth and their own MOCO key (docs/oauth.md)
  -h, --help                show this help

  moco-leads-mcp store [delete SCOPE]   show the lead store (path, size, scopes) or delete a scope's data

Environment:
  MOCO_API_KEY        your MOCO API key (MOCO: your profile → Integrations → API key)
  MOCO_SUBDOMAIN      your account's subdomain: "acme" or "acme.mocoapp.com"
  MOCO_BASE_URL       optional full API URL (…/api/v1), overrides MOCO_SUBDOMAIN
  MOCO_TIMEOUT_MS     deadline per MOCO request (default 15000)
  MOCO_TOOL_TIMEOUT_MS deadline per tool call, retries and rate waits included (default 60000)
  MOCO_SHUTDOWN_GRACE_MS at shutdown, time for requests in flight, then again for writes sent to MOCO (default 10000)
  MOCO_RATE_LIMIT     requests per 2 minutes your plan allows (default 120; 1200 on "unlimited")
  MOCO_MAX_SCAN_PAGES page cap for tools that scan many leads (default 20)
  MOCO_APPS           the pipeline view (MCP App): auto (clients that declare it; stdio), on, off
  MOCO_STORE          the lead mirror: a file path, "memory" or "off" (default: a file in your data directory)
  MOCO_STORE_FRESH_SECONDS  a read older than this syncs with MOCO first (default 30, at most 60)
  MOCO_STORE_RETENTION_DAYS history kept (default 400)
  MOCO_LOG_LEVEL      debug, info, warn or error (stderr; default info)
  MOCO_TODAY          the day counted as today, YYYY-MM-DD (demos and tests; default the server's date)
  NODE_DISABLE_COMPILE_CACHE=1  do not keep V8's compiled code between starts (default: kept in your cache directory)
  MCP_HTTP_TOKEN      bearer token clients must send over HTTP (required off loopback)
  MCP_ALLOWED_HOSTS / MCP_ALLOWED_ORIGINS  extra Host / Origin values to accept over HTTP
  MCP_HTTP_JSON_RESPONSE   answer each HTTP request with plain JSON instead of an SSE stream
  MCP_ALLOW_BASE_URL_HEADER  with --per-request-credentials, accept X-Moco-Base-Url (loopback only; tests)
  MCP_HTTP_HEADERS_TIMEOUT_MS / MCP_HTTP_REQUEST_TIMEOUT_MS  time to send headers / the whole request (10000 / 30000)
  MCP_HTTP_KEEP_ALIVE_TIMEOUT_MS  idle keep-alive connections close after this (default 5000)
  MCP_HTTP_MAX_CONNECTIONS / MCP_HTTP_MAX_CONNECTIONS_PER_ADDRESS  open connections in total / per client address (512 / 128)
  MCP_MAX_TENANTS / MCP_MAX_ACCOUNTS  per-request credentials: distinct keys / MOCO accounts held at once (1000 / 100)
  MCP_UPSTREAM_CONNECTIONS  per-request credentials: sockets to MOCO, all accounts together (default 400)
`;

type Env = Record<string, string | undefined>;

const list = (value: string | undefined) =>
  value
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function bool(value: string | undefined, name: string, problems: string[]): boolean {
  if (value === undefined || value === "") return false;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  problems.push(`${name} must be true or false, got "${value}"`);
  return false;
}

function int(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
) {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
    return fallback;
  }
  return n;
}

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
  const rate = int(env.MOCO_RATE_LIMIT, "MOCO_RATE_LIMIT", 120, 1, 100_000, problems);
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
  const transport = flags.transport ?? "stdio";
  if (transport !== "stdio" && transport !== "http") {
    problems.push(`--transport must be stdio or http, got "${transport}"`);
  }
  // "[::1]" is how a URL writes an IPv6 address; listen() wants it bare.
  const host = (flags.host ?? "127.0.0.1").trim().replace(/^\[([^\]]*)\]$/, "$1");
  const port = int(flags.port, "--port", 3000, 0, 65535, problems);
  const token = env.MCP_HTTP_TOKEN?.trim() || undefined;
  const oauth = oauthFrom(flags, env, problems);
  if (oauth && token) problems.push("--oauth and MCP_HTTP_TOKEN exclude each other: OAuth issues the tokens");
  if (token !== undefined && token.length < 24) {
    problems.push(
      "MCP_HTTP_TOKEN is too short to guard anything: use 24+ random characters, e.g. `openssl rand -hex 32`",
    );
  }
  if (transport === "http" && !isLoopback(host) && !token && !oauth) {
    problems.push(
      `Binding to ${host} exposes the server to the network: set MCP_HTTP_TOKEN to a long random secret`,
    );
  }
  const config: Config = {
    upstream,
    requestTimeoutMs: int(env.MOCO_TIMEOUT_MS, "MOCO_TIMEOUT_MS", 15_000, 100, 600_000, problems),
    toolTimeoutMs: int(env.MOCO_TOOL_TIMEOUT_MS, "MOCO_TOOL_TIMEOUT_MS", 60_000, 100, 3_600_000, problems),
    shutdownGraceMs: int(env.MOCO_SHUTDOWN_GRACE_MS, "MOCO_SHUTDOWN_GRACE_MS", 10_000, 0, 120_000, problems),
    rateLimit: { limit: rate, windowMs: 120_000 },
    logLevel,
    readOnly: flags["read-only"] === true || bool(env.MOCO_READ_ONLY, "MOCO_READ_ONLY", problems),
    allowTools: tools,
    denyTools: deny,
    maxScanPages: int(env.MOCO_MAX_SCAN_PAGES, "MOCO_MAX_SCAN_PAGES", 20, 1, 1000, problems),
    today: dateFrom(env.MOCO_TODAY, "MOCO_TODAY", problems),
    // The sandbox's demo data is kept in memory unless MOCO_STORE says otherwise.
    store:
      upstream.kind === "sandbox" && !env.MOCO_STORE?.trim()
        ? { kind: "memory" }
        : resolveStoreSetting(env.MOCO_STORE, env, undefined, problems),
    storeFreshSeconds: int(env.MOCO_STORE_FRESH_SECONDS, "MOCO_STORE_FRESH_SECONDS", 30, 1, 60, problems),
    storeRetentionDays: int(
      env.MOCO_STORE_RETENTION_DAYS,
      "MOCO_STORE_RETENTION_DAYS",
      400,
      1,
      3650,
      problems,
    ),
    apps: oneOf(env.MOCO_APPS, "MOCO_APPS", ["auto", "on", "off"] as const, "auto", problems),
    transport: transport === "http" ? "http" : "stdio",
    http: {
      oauth,
      host,
      port,
      token,
      allowedHosts: list(env.MCP_ALLOWED_HOSTS) ?? [],
      allowedOrigins: list(env.MCP_ALLOWED_ORIGINS) ?? [],
      maxBodyBytes: 1024 * 1024,
      jsonResponse: bool(env.MCP_HTTP_JSON_RESPONSE, "MCP_HTTP_JSON_RESPONSE", problems),
      headersTimeoutMs: ms(env, "MCP_HTTP_HEADERS_TIMEOUT_MS", 10_000),
      requestTimeoutMs: ms(env, "MCP_HTTP_REQUEST_TIMEOUT_MS", 30_000),
      keepAliveTimeoutMs: ms(env, "MCP_HTTP_KEEP_ALIVE_TIMEOUT_MS", 5_000),
      maxConnections: count(env, "MCP_HTTP_MAX_CONNECTIONS", 512),
      maxConnectionsPerAddress: count(env, "MCP_HTTP_MAX_CONNECTIONS_PER_ADDRESS", 128),
    },
  };
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    problems.push("MCP_HTTP_HEADERS_TIMEOUT_MS must not exceed MCP_HTTP_REQUEST_TIMEOUT_MS");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);

  function ms(env: Env, name: string, fallback: number) {
    return int(env[name], name, fallback, 100, 600_000, problems);
  }
  function count(env: Env, name: string, fallback: number) {
    return int(env[name], name, fallback, 1, 100_000, problems);
  }
}

function oauthFrom(flags: Flags, env: Env, problems: string[]): OAuthConfig | undefined {
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
    dbPath: env.MOCO_OAUTH_DB?.trim() || "moco-leads-oauth.sqlite",
    redirectUris: list(env.MOCO_OAUTH_REDIRECT_URIS) ?? [],
    trustProxy: proxies ? int(proxies, "MCP_TRUST_PROXY", 1, 1, 10, problems) : undefined,
  };
}

function upstreamFrom(flags: Flags, env: Env, problems: string[]): Upstream {
  const allowBaseUrlHeader = bool(env.MCP_ALLOW_BASE_URL_HEADER, "MCP_ALLOW_BASE_URL_HEADER", problems);
  // With --oauth (and no sandbox) every request brings its own MOCO credentials, from its grant.
  if (flags["per-request-credentials"] === true || (flags.oauth === true && flags.sandbox !== true)) {
    // A team server that takes each request's own MOCO credentials needs none of its own.
    if (flags.transport !== "http")
      problems.push("--per-request-credentials only works with --transport http");
    if (flags.sandbox === true) {
      problems.push("--sandbox and --per-request-credentials exclude each other: choose where MOCO is");
    }
    const d = DEFAULT_TENANT_LIMITS;
    const limits = {
      maxTenants: int(env.MCP_MAX_TENANTS, "MCP_MAX_TENANTS", d.maxTenants, 1, 100_000, problems),
      maxAccounts: int(env.MCP_MAX_ACCOUNTS, "MCP_MAX_ACCOUNTS", d.maxAccounts, 1, 10_000, problems),
      maxUpstreamConnections: int(
        env.MCP_UPSTREAM_CONNECTIONS,
        "MCP_UPSTREAM_CONNECTIONS",
        d.maxUpstreamConnections,
        1,
        100_000,
        problems,
      ),
    };
    // Each account gets an equal share of the sockets, at least one.
    if (limits.maxAccounts > limits.maxUpstreamConnections) {
      problems.push(
        "MCP_MAX_ACCOUNTS must not exceed MCP_UPSTREAM_CONNECTIONS (each account needs a socket)",
      );
    }
    return { kind: "per-request", allowBaseUrlHeader, limits };
  }
  if (allowBaseUrlHeader)
    problems.push("MCP_ALLOW_BASE_URL_HEADER only works with --per-request-credentials");
  if (flags.sandbox === true) return { kind: "sandbox" };
  const apiKey = env.MOCO_API_KEY?.trim() ?? "";
  if (apiKey === "") {
    problems.push(
      "MOCO_API_KEY is missing: in MOCO open your profile → Integrations and copy the API key (or use --sandbox to try the server without an account)",
    );
  }
  return { kind: "account", baseUrl: baseUrlFrom(env, problems) ?? "", apiKey };
}

type Flags = ReturnType<typeof parseFlags>;

function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  options: readonly T[],
  fallback: T,
  problems: string[],
): T {
  const v = value?.trim().toLowerCase();
  if (!v) return fallback;
  if ((options as readonly string[]).includes(v)) return v as T;
  problems.push(`${name} must be one of ${options.join(", ")}, got "${value}"`);
  return fallback;
}

function dateFrom(value: string | undefined, name: string, problems: string[]): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  const d = new Date(`${v}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
    problems.push(`${name} must be a date YYYY-MM-DD, got "${value}"`);
  }
  return v;
}

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
