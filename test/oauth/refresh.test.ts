import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callMcp, obtainCode, REDIRECT, register, token } from "./form-flow.js";
import { type Stack, startStack } from "./support.js";

/** A refused refresh is only a refusal; only a spent token used again revokes the grant. */
let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.close();
});

async function readOnlyTokens() {
  const got = await obtainCode(stack, "read");
  const res = await token(stack, {
    grant_type: "authorization_code",
    code: got.code,
    code_verifier: got.verifier,
    client_id: got.client.client_id,
    redirect_uri: REDIRECT,
    resource: stack.mcp,
  });
  expect(res.json.scope).toBe("leads:read");
  return { clientId: got.client.client_id, refreshToken: res.json.refresh_token as string };
}

const refresh = (clientId: string, refreshToken: string, extra: Record<string, string> = {}) =>
  token(stack, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId, ...extra });

describe("refused refreshes leave the refresh token valid", () => {
  it("more scope than granted: invalid_scope, then the same token still refreshes", async () => {
    const { clientId, refreshToken } = await readOnlyTokens();
    const wider = await refresh(clientId, refreshToken, { scope: "leads:read leads:write" });
    expect(wider).toMatchObject({ status: 400, json: { error: "invalid_scope" } });
    const again = await refresh(clientId, refreshToken);
    expect(again.status).toBe(200);
    expect((await callMcp(stack, again.json.access_token)).status).toBe(200);
  });

  it("a wrong resource: invalid_target, then the same token still refreshes", async () => {
    const { clientId, refreshToken } = await readOnlyTokens();
    const other = await refresh(clientId, refreshToken, { resource: "https://other.example/mcp" });
    expect(other).toMatchObject({ status: 400, json: { error: "invalid_target" } });
    expect((await refresh(clientId, refreshToken)).status).toBe(200);
  });

  it("another client: invalid_grant, then the right client still refreshes", async () => {
    const { clientId, refreshToken } = await readOnlyTokens();
    const { json: intruder } = await register(stack);
    const stolen = await refresh(intruder.client_id, refreshToken);
    expect(stolen).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
    expect((await refresh(clientId, refreshToken)).status).toBe(200);
  });

  it("a real replay of a spent token still revokes the whole grant", async () => {
    const { clientId, refreshToken } = await readOnlyTokens();
    expect((await refresh(clientId, refreshToken, { scope: "leads:write" })).status).toBe(400);
    const rotated = await refresh(clientId, refreshToken);
    expect(rotated.status).toBe(200);
    const replay = await refresh(clientId, refreshToken);
    expect(replay).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
    expect(stack.counts().oauth_tokens).toBe(0);
    expect((await refresh(clientId, rotated.json.refresh_token as string)).status).toBe(400);
  });
});
