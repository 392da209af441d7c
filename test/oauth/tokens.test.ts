import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callMcp, obtainCode, REDIRECT, token, tokensFor } from "./form-flow.js";
import { type Stack, startStack } from "./support.js";

/** Codes, access tokens and refresh tokens: each misuse refused with its OAuth error, and nothing issued. */
let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.close();
});

const exchange = (got: Awaited<ReturnType<typeof obtainCode>>, overrides: Record<string, string> = {}) =>
  token(stack, {
    grant_type: "authorization_code",
    code: got.code,
    code_verifier: got.verifier,
    client_id: got.client.client_id,
    redirect_uri: REDIRECT,
    resource: stack.mcp,
    ...overrides,
  });

describe("authorization codes", () => {
  it("exchanges a code for a working access token bound to /mcp", async () => {
    const got = await obtainCode(stack);
    const res = await exchange(got);
    expect(res.status).toBe(200);
    expect(res.json.access_token).toMatch(/^mlm_at_/);
    expect(res.json.refresh_token).toMatch(/^mlm_rt_/);
    expect(res.json.expires_in).toBe(900);
    expect(res.json.scope).toBe("leads:read leads:write");
    expect((await callMcp(stack, res.json.access_token)).status).toBe(200);
  });

  it("refuses a wrong PKCE verifier with invalid_grant, issues no token and keeps no grant", async () => {
    const got = await obtainCode(stack);
    const res = await exchange(got, { code_verifier: "x".repeat(43) });
    expect(res).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
    expect(stack.counts()).toMatchObject({ oauth_tokens: 0, oauth_grants: 0, oauth_codes: 0 });
    // The code is burnt: the right verifier no longer helps.
    expect((await exchange(got)).json.error).toBe("invalid_grant");
  });

  it("refuses a reused code with invalid_grant and revokes the tokens issued from it", async () => {
    const got = await obtainCode(stack);
    const first = await exchange(got);
    expect(first.status).toBe(200);
    const again = await exchange(got);
    expect(again).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
    expect(stack.counts().oauth_tokens).toBe(0);
    expect((await callMcp(stack, first.json.access_token)).status).toBe(401);
  });

  it("refuses a code for a resource other than this server's with invalid_target", async () => {
    const got = await obtainCode(stack);
    const res = await exchange(got, { resource: "https://other.example/mcp" });
    expect(res).toMatchObject({ status: 400, json: { error: "invalid_target" } });
    expect(stack.counts()).toMatchObject({ oauth_tokens: 0, oauth_grants: 0 });
  });

  it("refuses a code sent with a different redirect_uri with invalid_grant", async () => {
    const got = await obtainCode(stack);
    const res = await exchange(got, { redirect_uri: "http://127.0.0.1:9/other" });
    expect(res).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
    expect(stack.counts()).toMatchObject({ oauth_tokens: 0, oauth_grants: 0 });
  });

  it("refuses an expired code with invalid_grant", async () => {
    const got = await obtainCode(stack);
    stack.clock.now += 121_000;
    expect((await exchange(got)).json.error).toBe("invalid_grant");
    expect(stack.counts()).toMatchObject({ oauth_tokens: 0, oauth_grants: 0 });
  });
});

describe("access tokens", () => {
  it("answers a request without a token 401 with the resource metadata URL", async () => {
    const res = await callMcp(stack, undefined);
    expect(res.status).toBe(401);
    expect(res.wwwAuthenticate).toBe(
      `Bearer resource_metadata="${stack.base}/.well-known/oauth-protected-resource/mcp", scope="leads:read leads:write"`,
    );
  });

  it("refuses an expired access token with 401 invalid_token", async () => {
    const { tokens } = await tokensFor(stack);
    stack.clock.now += 901_000;
    const res = await callMcp(stack, tokens.access_token);
    expect(res.status).toBe(401);
    expect(res.wwwAuthenticate).toContain('error="invalid_token"');
    expect(res.wwwAuthenticate).toContain("expired");
  });

  it("refuses a made-up token of the right shape with 401 invalid_token", async () => {
    const res = await callMcp(stack, `mlm_at_${"A".repeat(43)}`);
    expect(res.status).toBe(401);
    expect(res.wwwAuthenticate).toContain('error="invalid_token"');
  });

  it("refuses a token revoked at /revoke with 401 invalid_token", async () => {
    const { tokens, client } = await tokensFor(stack);
    const res = await fetch(`${stack.base}/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        token: tokens.access_token as string,
        client_id: client.client_id,
      }).toString(),
    });
    expect(res.status).toBe(200);
    const after = await callMcp(stack, tokens.access_token);
    expect(after.status).toBe(401);
    expect(after.wwwAuthenticate).toContain('error="invalid_token"');
    expect(stack.counts().oauth_tokens).toBe(0);
  });

  it("refuses a token issued for another resource (a second server on the same store) with 401", async () => {
    const { tokens } = await tokensFor(stack);
    const { createOAuth } = await import("../../src/oauth/index.js");
    const other = await createOAuth({
      publicUrl: "http://localhost:1",
      store: { sqlitePath: stack.dbPath },
      secrets: ["test-sealing-secret-0123456789abcdef-ZYXW"],
      subdomains: [],
      loopbackBaseUrl: stack.sandbox.url,
      userAgent: "oauth-test",
    });
    try {
      const req = { headers: { authorization: `Bearer ${tokens.access_token}` } } as never;
      const result = await other.authenticate(req);
      expect(result).toMatchObject({ ok: false, status: 401 });
      expect(result.ok ? "" : result.message).toBe("The access token was not issued for this resource");
      expect((await stack.oauth.authenticate(req)).ok).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe("refresh tokens", () => {
  const refresh = (clientId: string, refreshToken: string) =>
    token(stack, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId });

  it("rotates: a refresh gives a new pair, and the new access token works", async () => {
    const { tokens, client } = await tokensFor(stack);
    const res = await refresh(client.client_id, tokens.refresh_token as string);
    expect(res.status).toBe(200);
    expect(res.json.refresh_token).not.toBe(tokens.refresh_token);
    expect((await callMcp(stack, res.json.access_token)).status).toBe(200);
  });

  it("takes a replayed refresh token as theft: invalid_grant and the whole family revoked", async () => {
    const { tokens, client } = await tokensFor(stack);
    const rotated = await refresh(client.client_id, tokens.refresh_token as string);
    expect(rotated.status).toBe(200);
    const replay = await refresh(client.client_id, tokens.refresh_token as string);
    expect(replay).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
    expect(stack.counts().oauth_tokens).toBe(0);
    expect((await callMcp(stack, rotated.json.access_token)).status).toBe(401);
    expect((await refresh(client.client_id, rotated.json.refresh_token as string)).json.error).toBe(
      "invalid_grant",
    );
  });
});
