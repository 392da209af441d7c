import { createHash } from "node:crypto";

/**
 * A mirror belongs to one credential scope: the MOCO base URL plus a hash of the API key. Keys of the
 * same account may see different leads, so one key's sync never serves another key. The key itself is
 * never stored: only 16 hex digits (64 bits) of its SHA-256, enough to tell keys apart, useless to use.
 */
export function scopeKey(baseUrl: string, apiKey: string): string {
  return `${normaliseBaseUrl(baseUrl)}#${keyHash(apiKey)}`;
}

export function keyHash(apiKey: string): string {
  return createHash("sha256").update(`moco-leads-mcp:${apiKey}`).digest("hex").slice(0, 16);
}

/** Lower-case origin and path without trailing slashes, and never user:password@ from the URL. */
export function normaliseBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  return url.href.replace(/\/+$/, "");
}
