import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { createOAuth } from "../../src/oauth/index.js";
import { authorize, pkce, post, REDIRECT, register, signIn, token } from "./form-flow.js";
import { SECRET, type Stack, startStack } from "./support.js";

/** What /authorize, /token and /register take only in the form this server honours. */
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** Registration, /authorize with `params`, sign-in and consent: the code. */
async function codeVia(s: Stack, params: Record<string, string>) {
  const { json: client } = await register(s);
  const { verifier, challenge } = pkce();
  const session = await authorize(s, client.client_id, challenge, params);
  const signed = await signIn(s, session);
  const consent = await post(
    s,
    "/oauth/consent",
    { pending: signed.pending, csrf: session.csrf, decision: "read" },
    session.cookie,
  );
  const code = new URL(consent.location ?? "http://x/").searchParams.get("code") ?? "";
  return { clientId: client.client_id, verifier, code };
}

describe("redirect_uri at /token", () => {
  it("is required when /authorize named it: a token request without it is invalid_grant", async () => {
    stack = await startStack();
    const got = await codeVia(stack, {});
    const res = await token(stack, {
      grant_type: "authorization_code",
      code: got.code,
      code_verifier: got.verifier,
      client_id: got.clientId,
    });
    expect(res).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
  });

  it("may be left out when /authorize did not name it either", async () => {
    stack = await startStack();
    const got = await codeVia(stack, { redirect_uri: "" });
    const res = await token(stack, {
      grant_type: "authorization_code",
      code: got.code,
      code_verifier: got.verifier,
      client_id: got.clientId,
    });
    expect(res.status).toBe(200);
  });
});

describe("/authorize refuses before any sign-in page", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["a code_challenge of 3 characters", { code_challenge: "abc" }, "invalid_request"],
    ["a code_challenge of 44 characters", { code_challenge: "A".repeat(44) }, "invalid_request"],
    [
      "a code_challenge with a character outside base64url",
      { code_challenge: `${"A".repeat(42)}+` },
      "invalid_request",
    ],
    ["scope=admin", { scope: "admin" }, "invalid_scope"],
    ["a known scope beside an unknown one", { scope: "leads:read admin" }, "invalid_scope"],
  ];
  for (const [label, params, error] of cases) {
    it(`${label}: a redirect with error=${error}, no page, no cookie`, async () => {
      stack = await startStack();
      const { json: client } = await register(stack);
      const res = await authorize(stack, client.client_id, pkce().challenge, params);
      expect(res.status).toBe(302);
      const location = new URL(res.location ?? "http://x/");
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
      expect(location.searchParams.get("error")).toBe(error);
      expect(location.searchParams.get("state")).toBe("st-123");
      expect(res.html).not.toContain("<form");
      expect(res.cookie).toBe("");
    });
  }
});

describe("registration keeps what it will honour, in the form it uses", () => {
  it("stores a redirect URI normalised, as redirects will go to it", async () => {
    stack = await startStack();
    const res = await register(stack, { redirect_uris: ["http://127.0.0.1:1\\@evil.test/"] });
    expect(res.status).toBe(201);
    expect(res.json.redirect_uris).toEqual(["http://127.0.0.1:1/@evil.test/"]);
    const stored = await stack.oauth.store.getClient(res.json.client_id);
    expect(JSON.parse(stored?.metadata ?? "{}").redirect_uris).toEqual(["http://127.0.0.1:1/@evil.test/"]);
  });

  for (const [label, metadata] of [
    ['response_types ["token"]', { response_types: ["token"] }],
    ['response_types ["code", "token"]', { response_types: ["code", "token"] }],
    ['grant_types ["client_credentials"]', { grant_types: ["client_credentials"] }],
    ['grant_types ["implicit"]', { grant_types: ["implicit"] }],
    ["token_endpoint_auth_method private_key_jwt", { token_endpoint_auth_method: "private_key_jwt" }],
  ] as const) {
    it(`refuses ${label} with invalid_client_metadata and stores nothing`, async () => {
      stack = await startStack();
      const res = await register(stack, metadata);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("invalid_client_metadata");
      expect(stack.counts().oauth_clients).toBe(0);
    });
  }

  it("drops unknown scopes and keeps the known ones", async () => {
    stack = await startStack();
    const res = await register(stack, { scope: "admin leads:read openid" });
    expect(res.status).toBe(201);
    expect((res.json as { scope?: string }).scope).toBe("leads:read");
    const stored = await stack.oauth.store.getClient(res.json.client_id);
    expect(JSON.parse(stored?.metadata ?? "{}").scope).toBe("leads:read");
  });
});

describe("a locked grant store", () => {
  it("is tried again after a pause instead of failing the start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "locked-store-"));
    const path = join(dir, "grants.sqlite");
    const holder = new DatabaseSync(path);
    holder.exec("BEGIN EXCLUSIVE");
    const release = setTimeout(() => holder.exec("COMMIT"), 600);
    try {
      const oauth = await createOAuth({
        publicUrl: "http://127.0.0.1:1",
        store: { sqlitePath: path },
        secrets: [SECRET],
        subdomains: ["acme"],
        userAgent: "locked-store-test",
      });
      expect(await oauth.store.countClients()).toBe(0);
      await oauth.close();
    } finally {
      clearTimeout(release);
      holder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
