import { createHash, randomBytes } from "node:crypto";
import { SANDBOX_KEY, type Stack } from "./support.js";

/**
 * The OAuth flow driven by plain HTTP requests (what a browser sends, without the browser), for the
 * negative cases: every step is a real request to the real server.
 */

export interface Registered {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
}

export const REDIRECT = "http://127.0.0.1:9/callback";

export async function register(stack: Stack, metadata: Record<string, unknown> = {}) {
  const res = await fetch(`${stack.base}/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      client_name: "Form Flow Client",
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      ...metadata,
    }),
  });
  return { status: res.status, json: (await res.json()) as Registered & { error?: string } };
}

export function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface Session {
  cookie: string;
  request: string;
  csrf: string;
  html: string;
  status: number;
}

const field = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, "&") ?? "";

export async function authorize(
  stack: Stack,
  clientId: string,
  challenge: string,
  params: Record<string, string> = {},
): Promise<Session & { location: string | null }> {
  const url = new URL(`${stack.base}/authorize`);
  const query: Record<string, string> = {
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: "st-123",
    resource: stack.mcp,
    ...params,
  };
  for (const [k, v] of Object.entries(query)) if (v !== "") url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: "manual" });
  const html = await res.text();
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return {
    status: res.status,
    html,
    cookie,
    request: field(html, "request"),
    csrf: field(html, "csrf"),
    location: res.headers.get("location"),
  };
}

export async function post(stack: Stack, path: string, form: Record<string, string>, cookie = "") {
  const res = await fetch(`${stack.base}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, html: await res.text(), location: res.headers.get("location") };
}

export async function signIn(stack: Stack, s: Session, form: Record<string, string> = {}) {
  const res = await post(
    stack,
    "/oauth/sign-in",
    { request: s.request, csrf: s.csrf, api_key: SANDBOX_KEY, action: "sign-in", ...form },
    s.cookie,
  );
  return { ...res, pending: field(res.html, "pending") };
}

/** Registration through consent: the code and what it took to get it. */
export async function obtainCode(stack: Stack, decision = "write") {
  const { json: client } = await register(stack);
  const { verifier, challenge } = pkce();
  const s = await authorize(stack, client.client_id, challenge);
  const signed = await signIn(stack, s);
  const consent = await post(
    stack,
    "/oauth/consent",
    { pending: signed.pending, csrf: s.csrf, decision },
    s.cookie,
  );
  const code = new URL(consent.location ?? "http://x/").searchParams.get("code") ?? "";
  return { client, verifier, challenge, code, consent };
}

export async function token(stack: Stack, form: Record<string, string>) {
  const res = await fetch(`${stack.base}/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: res.status,
    json: (await res.json()) as {
      access_token?: string;
      refresh_token?: string;
      error?: string;
      expires_in?: number;
      scope?: string;
    },
  };
}

export async function tokensFor(stack: Stack) {
  const got = await obtainCode(stack);
  const res = await token(stack, {
    grant_type: "authorization_code",
    code: got.code,
    code_verifier: got.verifier,
    client_id: got.client.client_id,
    redirect_uri: REDIRECT,
    resource: stack.mcp,
  });
  return { ...got, tokens: res.json };
}

/** A JSON-RPC tools/list over /mcp with this bearer token: the status and the WWW-Authenticate header. */
export async function callMcp(stack: Stack, accessToken: string | undefined) {
  const res = await fetch(stack.mcp, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get("www-authenticate") ?? "",
    body: await res.text(),
  };
}
