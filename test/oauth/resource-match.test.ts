import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sameResource } from "../../src/oauth/grants.js";
import { authorize, obtainCode, pkce, REDIRECT, register, token } from "./form-flow.js";
import { type Stack, startStack } from "./support.js";

/**
 * RFC 8707: a resource must not carry a fragment, and this server's resource is its /mcp exactly: only
 * the case of scheme and host is normalised. A variant is invalid_target at /authorize and /token.
 */
let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.close();
});

const variants = () => {
  const mcp = new URL(stack.mcp);
  return {
    fragment: `${stack.mcp}#f`,
    emptyFragment: `${stack.mcp}#`,
    trailingSlash: `${stack.mcp}/`,
    upperCaseScheme: `${mcp.protocol.toUpperCase()}//${mcp.host}${mcp.pathname}`,
  };
};

describe("the resource parameter", () => {
  it("compares exactly after scheme and host case, and never matches with a fragment", () => {
    const r = "https://leads.example/mcp";
    expect(sameResource(r, r)).toBe(true);
    expect(sameResource("HTTPS://LEADS.Example/mcp", r)).toBe(true);
    expect(sameResource(new URL(r), r)).toBe(true);
    for (const other of [
      `${r}#f`,
      `${r}#`,
      `${r}/`,
      "https://leads.example/MCP",
      "https://leads.example/mcp?x=1",
    ])
      expect(sameResource(other, r), other).toBe(false);
    expect(sameResource(new URL(`${r}#f`), r)).toBe(false);
  });

  it("a refresh naming the resource with a fragment or a trailing slash is invalid_target; upper-case scheme is the same resource", async () => {
    const got = await obtainCode(stack, "read");
    const first = await token(stack, {
      grant_type: "authorization_code",
      code: got.code,
      code_verifier: got.verifier,
      client_id: got.client.client_id,
      redirect_uri: REDIRECT,
      resource: stack.mcp,
    });
    expect(first.status).toBe(200);
    let refreshToken = first.json.refresh_token as string;
    const refresh = (resource: string) =>
      token(stack, {
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        client_id: got.client.client_id,
        resource,
      });
    const v = variants();
    for (const bad of [v.fragment, v.emptyFragment, v.trailingSlash]) {
      expect(await refresh(bad), bad).toMatchObject({ status: 400, json: { error: "invalid_target" } });
    }
    const same = await refresh(v.upperCaseScheme);
    expect(same.status).toBe(200);
    refreshToken = same.json.refresh_token as string;
    expect((await refresh(stack.mcp)).status).toBe(200);
  });

  it("/authorize with the resource plus a fragment or a trailing slash goes back to the client with invalid_target", async () => {
    const { json: client } = await register(stack);
    const v = variants();
    for (const bad of [v.fragment, v.trailingSlash]) {
      const s = await authorize(stack, client.client_id, pkce().challenge, { resource: bad });
      expect(s.status, bad).toBe(302);
      expect(new URL(s.location as string).searchParams.get("error"), bad).toBe("invalid_target");
    }
  });
});
