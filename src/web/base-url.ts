/**
 * Where MOCO is: the one rule for a base URL (a subdomain or an explicit https URL ending in /api/v1;
 * http only for loopback) and the one rule for what counts as loopback. Config, the HTTP transport and
 * OAuth all ask here.
 */

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
export const isLoopback = (host: string) => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

export function baseUrlFrom(env: Record<string, string | undefined>, problems: string[]): string | undefined {
  const explicit = env.MOCO_BASE_URL?.trim();
  if (explicit) {
    let url: URL;
    try {
      url = new URL(explicit);
    } catch {
      problems.push(
        `MOCO_BASE_URL is not a URL: "${explicit}" (expected e.g. https://acme.mocoapp.com/api/v1)`,
      );
      return undefined;
    }
    const secure = url.protocol === "https:";
    const loopbackHttp = url.protocol === "http:" && isLoopback(url.hostname);
    if (!secure && !loopbackHttp) {
      problems.push("MOCO_BASE_URL must use https:// (http:// is only allowed for 127.0.0.1/localhost)");
    }
    if (url.username || url.password || url.search || url.hash) {
      problems.push("MOCO_BASE_URL must not contain credentials, a query or a fragment");
    }
    if (!/\/api\/v1\/?$/.test(url.pathname)) {
      problems.push(
        `MOCO_BASE_URL must end in /api/v1, e.g. https://acme.mocoapp.com/api/v1 (got "${explicit}")`,
      );
    }
    return url.href.replace(/\/+$/, "");
  }
  const raw = env.MOCO_SUBDOMAIN?.trim().toLowerCase();
  if (!raw) {
    problems.push(
      'MOCO_SUBDOMAIN is missing: set it to your account\'s subdomain, e.g. "acme" for https://acme.mocoapp.com',
    );
    return undefined;
  }
  const label = raw.replace(/^https?:\/\//, "").replace(/\.mocoapp\.com\/?$/, "");
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) {
    problems.push(
      `MOCO_SUBDOMAIN "${env.MOCO_SUBDOMAIN}" is not a valid subdomain: use only the first part, e.g. "acme" or "acme.mocoapp.com"`,
    );
    return undefined;
  }
  return `https://${label}.mocoapp.com/api/v1`;
}

/**
 * The MOCO API base URL for a subdomain or an explicit URL, validated exactly like
 * MOCO_SUBDOMAIN / MOCO_BASE_URL; undefined when invalid. Used for per-request credentials.
 */
export function resolveBaseUrl(values: { subdomain?: string; baseUrl?: string }): string | undefined {
  const problems: string[] = [];
  const url = baseUrlFrom({ MOCO_SUBDOMAIN: values.subdomain, MOCO_BASE_URL: values.baseUrl }, problems);
  return problems.length === 0 ? url : undefined;
}
