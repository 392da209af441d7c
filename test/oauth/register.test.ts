import { afterEach, describe, expect, it } from "vitest";
import { register } from "./form-flow.js";
import { type Stack, startStack } from "./support.js";

/** Dynamic client registration (RFC 7591) under the registration policy, and the discovery documents. */
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("registration policy", () => {
  const known = [
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
    "https://chatgpt.com/connector_platform_oauth_redirect",
    "https://chatgpt.com/connector/oauth/AbC123_x-Y",
  ];
  for (const uri of known) {
    it(`accepts ${uri} out of the box`, async () => {
      stack = await startStack();
      const res = await register(stack, { redirect_uris: [uri] });
      expect(res.status).toBe(201);
      expect(res.json.redirect_uris).toEqual([uri]);
      expect(stack.counts().oauth_clients).toBe(1);
    });
  }

  const refused = [
    "https://evil.example/callback",
    "https://claude.ai.evil.example/api/mcp/auth_callback",
    "https://chatgpt.com/connector/oauth/a/b",
    "http://claude.ai/api/mcp/auth_callback",
  ];
  for (const uri of refused) {
    it(`refuses ${uri} with invalid_redirect_uri and stores no client`, async () => {
      stack = await startStack();
      const res = await register(stack, { redirect_uris: [uri] });
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("invalid_redirect_uri");
      expect(stack.counts().oauth_clients).toBe(0);
    });
  }

  it("refuses loopback redirect URIs when the operator turned them off", async () => {
    stack = await startStack({ allowLoopbackRedirects: false });
    const res = await register(stack);
    expect(res.json.error).toBe("invalid_redirect_uri");
  });

  it("accepts an operator's extra redirect URI", async () => {
    stack = await startStack({ redirectUris: ["https://agents.acme.ch/oauth/callback"] });
    const res = await register(stack, { redirect_uris: ["https://agents.acme.ch/oauth/callback"] });
    expect(res.status).toBe(201);
  });

  it("bounds a registration flood per address: past the hourly budget 429, nothing more stored", async () => {
    stack = await startStack({ registrationsPerHour: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await register(stack)).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
    expect(stack.counts().oauth_clients).toBe(5);
  });

  it("bounds the number of clients kept: past maxClients 429 too_many_requests", async () => {
    stack = await startStack({ maxClients: 3 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await register(stack));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 429, 429]);
    expect(results[4]?.json.error).toBe("too_many_requests");
    expect(stack.counts().oauth_clients).toBe(3);
  });

  it("makes room from the oldest idle client once it is an hour old", async () => {
    stack = await startStack({ maxClients: 2 });
    const first = await register(stack);
    await register(stack);
    stack.clock.now += 3600 * 1000 + 1;
    expect((await register(stack)).status).toBe(201);
    expect(stack.counts().oauth_clients).toBe(2);
    expect(await stack.oauth.store.getClient(first.json.client_id)).toBeUndefined();
  });

  it("gives a confidential client its secret once and stores it sealed", async () => {
    stack = await startStack();
    const res = await register(stack, { token_endpoint_auth_method: "client_secret_post" });
    expect(res.status).toBe(201);
    expect(res.json.client_secret).toMatch(/^[0-9a-f]{64}$/);
    expect(stack.raw()).not.toContain(res.json.client_secret);
    const client = await stack.oauth.store.getClient(res.json.client_id);
    expect(client?.secretSealed).toMatch(/^v1\.[0-9a-f]{8}\./);
  });
});

describe("discovery", () => {
  it("serves protected resource metadata (RFC 9728) for /mcp", async () => {
    stack = await startStack();
    for (const path of [
      "/.well-known/oauth-protected-resource/mcp",
      "/.well-known/oauth-protected-resource",
    ]) {
      const res = await fetch(`${stack.base}${path}`);
      expect(await res.json()).toEqual({
        resource: stack.mcp,
        authorization_servers: [`${stack.base}/`],
        scopes_supported: ["leads:read", "leads:write"],
        bearer_methods_supported: ["header"],
        resource_name: "MOCO Leads",
      });
    }
  });

  it("serves authorization server metadata (RFC 8414): S256 only, registration, revocation", async () => {
    stack = await startStack();
    const meta = (await (
      await fetch(`${stack.base}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      issuer: `${stack.base}/`,
      authorization_endpoint: `${stack.base}/authorize`,
      token_endpoint: `${stack.base}/token`,
      registration_endpoint: `${stack.base}/register`,
      revocation_endpoint: `${stack.base}/revoke`,
      code_challenge_methods_supported: ["S256"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      response_types_supported: ["code"],
    });
  });

  it("refuses a Host header other than the public URL's (DNS rebinding)", async () => {
    stack = await startStack();
    const { request } = await import("undici");
    const res = await request(`${stack.base}/.well-known/oauth-authorization-server`, {
      headers: { host: "evil.example" },
    });
    expect(res.statusCode).toBe(403);
    await res.body.dump();
  });

  it("leaves every other path to the transport", async () => {
    stack = await startStack();
    expect((await fetch(`${stack.base}/healthz`)).status).toBe(404);
    expect((await fetch(`${stack.base}/.well-known/openid-configuration`)).status).toBe(404);
  });
});
