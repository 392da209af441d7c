/**
 * Which redirect URIs a client may register (RFC 7591 registration policy). Open registration is
 * what claude.ai and ChatGPT need, so the redirect URI is the one thing that ties a registered
 * client to a known product: a code only ever travels to one of these.
 */

/** The hosted assistants' callbacks, as Anthropic and OpenAI document them. */
export const KNOWN_CALLBACKS: readonly (string | RegExp)[] = [
  "https://claude.ai/api/mcp/auth_callback",
  "https://claude.com/api/mcp/auth_callback",
  "https://chatgpt.com/connector_platform_oauth_redirect",
  // ChatGPT's per-connector callback: one path segment after /connector/oauth/.
  /^https:\/\/chatgpt\.com\/connector\/oauth\/[A-Za-z0-9_-]{1,128}$/,
];

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export interface RedirectPolicy {
  /** Further exact callback URLs the operator allows (https, or http on loopback). */
  extra: readonly string[];
  /** http://127.0.0.1:<any port>/… (native clients: Claude Code, MCP Inspector, the tests). */
  loopback: boolean;
}

/** Why this URI may not be registered, or undefined when it may. */
export function redirectRefusal(uri: string, policy: RedirectPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "a redirect URI is not a URL";
  }
  if (url.hash) return "a redirect URI must not have a fragment";
  if (url.username || url.password) return "a redirect URI must not carry credentials";
  if (policy.extra.some((extra) => extra === uri || (URL.canParse(extra) && new URL(extra).href === uri))) {
    return undefined;
  }
  for (const known of KNOWN_CALLBACKS) {
    if (typeof known === "string" ? known === uri : known.test(uri)) return undefined;
  }
  if (policy.loopback && url.protocol === "http:" && LOOPBACK.has(url.hostname)) return undefined;
  return `redirect URI host ${url.host} is not allowed by this server's registration policy`;
}
