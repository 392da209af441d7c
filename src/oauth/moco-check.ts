import { apiPath, MocoClient, type Pool } from "../moco/client.js";
import { MocoError } from "../moco/errors.js";
import { RateLimiter } from "../moco/rate-limit.js";
import { resolveBaseUrl } from "../web/base-url.js";

/**
 * The sign-in page's two questions: which MOCO account (subdomain, against the allow-list), and
 * whether the key works there (GET /profile, live). MOCO's answers are untrusted text: only short
 * plain strings are taken from them, and the pages escape those.
 */

export type Account = { ok: true; baseUrl: string; label: string } | { ok: false; message: string };

export function accountFor(
  subdomain: string | undefined,
  allowed: readonly string[],
  loopbackBaseUrl: string | undefined,
): Account {
  if (loopbackBaseUrl) return { ok: true, baseUrl: loopbackBaseUrl, label: new URL(loopbackBaseUrl).host };
  const fixed = allowed.length === 1 && allowed[0] !== "*" ? allowed[0] : undefined;
  const baseUrl = resolveBaseUrl({ subdomain: fixed ?? subdomain ?? "" });
  if (!baseUrl) {
    return { ok: false, message: 'That is not a MOCO subdomain: enter only the first part, e.g. "acme".' };
  }
  const host = new URL(baseUrl).hostname;
  const label = host.replace(/\.mocoapp\.com$/, "");
  if (
    !allowed.includes("*") &&
    !allowed.some((a) => a.toLowerCase().replace(/\.mocoapp\.com$/, "") === label)
  ) {
    return { ok: false, message: `This server is not set up for the MOCO account ${host}.` };
  }
  return { ok: true, baseUrl, label: host };
}

/** The one account a sign-in page shows fixed, if there is exactly one. */
export function fixedAccount(
  allowed: readonly string[],
  loopbackBaseUrl: string | undefined,
): string | undefined {
  if (loopbackBaseUrl) return new URL(loopbackBaseUrl).host;
  const only = allowed.length === 1 && allowed[0] !== "*" ? allowed[0] : undefined;
  return only ? `${only.replace(/\.mocoapp\.com$/i, "")}.mocoapp.com` : undefined;
}

export interface Person {
  name: string;
  email: string;
}

export type KeyCheck = { ok: true; person: Person } | { ok: false; message: string };

const text = (v: unknown, max: number) =>
  typeof v === "string"
    ? v
        .replace(/[\p{Cc}\p{Cf}]/gu, "")
        .trim()
        .slice(0, max)
    : "";

export async function checkKey(
  baseUrl: string,
  apiKey: string,
  deps: { userAgent: string; requestTimeoutMs: number; pool: Pool },
): Promise<KeyCheck> {
  if (!/^[\x21-\x7e]{8,200}$/.test(apiKey)) {
    return { ok: false, message: "That does not look like a MOCO API key. Copy it again from MOCO." };
  }
  const moco = new MocoClient({
    baseUrl,
    apiKey,
    userAgent: deps.userAgent,
    requestTimeoutMs: deps.requestTimeoutMs,
    budget: new RateLimiter({ limit: 120, windowMs: 120_000 }),
    maxRetries: 1,
    pool: deps.pool,
  });
  try {
    const { data } = await moco.get(apiPath("profile"));
    const p = (data ?? {}) as Record<string, unknown>;
    const name =
      text(p.full_name, 120) || `${text(p.first_name, 60)} ${text(p.last_name, 60)}`.trim() || "(no name)";
    return { ok: true, person: { name, email: text(p.email, 200) } };
  } catch (error) {
    if (!(error instanceof MocoError)) throw error;
    // Our own words only: MOCO's body is not shown.
    const messages: Partial<Record<MocoError["kind"], string>> = {
      auth: "MOCO did not accept this API key. Copy it again from MOCO (Profile → Integrations) and check the account.",
      forbidden: "MOCO refused this key access to its own profile; use your personal API key.",
      network: "MOCO could not be reached. Try again in a minute.",
      timeout: "MOCO did not answer in time. Try again in a minute.",
      rate_limited: "MOCO is busy (rate limit). Try again in a minute.",
    };
    return { ok: false, message: messages[error.kind] ?? "MOCO answered with an error. Try again later." };
  } finally {
    await moco.close();
  }
}
