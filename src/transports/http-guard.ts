import { createHash, timingSafeEqual } from "node:crypto";
import { isLoopback } from "../web/base-url.js";

/**
 * The checks every HTTP request passes before it reaches MCP: Host and Origin against an
 * allow-list (DNS-rebinding protection) and the bearer token. Pure functions, no I/O.
 */

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/** Compares over SHA-256 digests, so neither the content nor the length of the token leaks through timing. */
export function bearerChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
    return timingSafeEqual(digest(match?.[1] ?? ""), expected) && match !== null;
  };
}

// A Host header is a name or an IP literal with an optional port, nothing else: no userinfo,
// no path. Anything looser lets "evil.test@127.0.0.1" style values fool a URL parser.
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;

export interface HostPolicy {
  /** The port the server actually listens on (known after listen, matters with port 0). */
  port: number;
  /** The address bound; an IP literal other than a wildcard is accepted as a Host too. */
  bindHost: string;
  /** MCP_ALLOWED_HOSTS: "name" (any port) or "name:port" (exactly). */
  allowed: readonly string[];
}

export function hostAllowed(header: string | undefined, policy: HostPolicy): boolean {
  if (!header) return false;
  const value = header.trim().toLowerCase();
  const m = HOST.exec(value);
  if (!m) return false;
  const name = m[1] as string;
  const port = m[2] === undefined ? 80 : Number(m[2]);
  for (const entry of policy.allowed) {
    const e = entry.toLowerCase();
    if (e === value || e === name) return true;
  }
  if (port !== policy.port) return false;
  if (isLoopback(name)) return true;
  const bound = policy.bindHost.toLowerCase();
  const wildcard = bound === "0.0.0.0" || bound === "::" || bound === "[::]";
  return !wildcard && (name === bound || name === `[${bound}]`);
}

/**
 * Browsers send Origin on cross-site requests; non-browser clients usually do not. An absent
 * Origin is fine, and so is this server's own loopback origin (it serves no pages, so no page can
 * have it). Any other must be listed, or be a loopback page while a token guards the server —
 * without a token any page some other local app serves could otherwise call the tools.
 */
export function originAllowed(
  header: string | undefined,
  allowed: readonly string[],
  loopbackPages: boolean,
  ownHost?: string,
): boolean {
  if (header === undefined) return true;
  let url: URL;
  try {
    url = new URL(header);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  if (allowed.some((entry) => normalizeOrigin(entry) === url.origin)) return true;
  if (!isLoopback(url.hostname)) return false;
  return loopbackPages || (ownHost !== undefined && url.host === ownHost.toLowerCase());
}

function normalizeOrigin(entry: string): string {
  try {
    return new URL(entry).origin;
  } catch {
    return entry;
  }
}
