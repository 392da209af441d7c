import { describe, expect, it } from "vitest";
import { bearerChecker, hostAllowed, originAllowed } from "../../src/transports/http/routes.js";
import { TenantClients } from "../../src/transports/http/tenants.js";
import { makeClient } from "./support.js";

describe("hostAllowed", () => {
  const policy = { port: 3000, bindHost: "127.0.0.1", allowed: [] as string[] };

  it("accepts the loopback names with the bound port", () => {
    for (const host of [
      "localhost:3000",
      "127.0.0.1:3000",
      "[::1]:3000",
      "LOCALHOST:3000",
      "127.0.0.2:3000",
    ]) {
      expect(hostAllowed(host, policy), host).toBe(true);
    }
  });

  it("refuses other names, other ports, a missing Host and anything that is not a plain host", () => {
    for (const host of [
      undefined,
      "",
      "evil.example.com",
      "evil.example.com:3000",
      "localhost:3001",
      "localhost",
      "evil.example.com@127.0.0.1:3000",
      "127.0.0.1:3000/x",
      "127.0.0.1.nip.io:3000",
    ]) {
      expect(hostAllowed(host, policy), String(host)).toBe(false);
    }
  });

  it("accepts MCP_ALLOWED_HOSTS entries: a name on any port, or exactly name:port", () => {
    const p = { ...policy, allowed: ["mcp.example.com", "api.example.com:8443"] };
    expect(hostAllowed("mcp.example.com", p)).toBe(true);
    expect(hostAllowed("MCP.example.com:443", p)).toBe(true);
    expect(hostAllowed("api.example.com:8443", p)).toBe(true);
    expect(hostAllowed("api.example.com", p)).toBe(false);
    expect(hostAllowed("other.example.com", p)).toBe(false);
  });

  it("accepts the bound IP literal, never a wildcard bind", () => {
    expect(hostAllowed("10.0.0.5:3000", { ...policy, bindHost: "10.0.0.5" })).toBe(true);
    expect(hostAllowed("0.0.0.0:3000", { ...policy, bindHost: "0.0.0.0" })).toBe(false);
    expect(hostAllowed("10.0.0.5:3000", { ...policy, bindHost: "0.0.0.0" })).toBe(false);
  });
});

describe("originAllowed", () => {
  it("accepts no Origin, loopback pages and listed origins", () => {
    expect(originAllowed(undefined, [], false)).toBe(true);
    expect(originAllowed("http://localhost:6274", [], true)).toBe(true);
    expect(originAllowed("http://127.0.0.1", [], true)).toBe(true);
    // Without a token, a page of some other local app must be listed explicitly.
    expect(originAllowed("http://localhost:6274", [], false)).toBe(false);
    expect(originAllowed("http://localhost:6274", ["http://localhost:6274"], false)).toBe(true);
    // The server's own origin: it serves no pages, so no browser page can carry it.
    expect(originAllowed("http://127.0.0.1:3000", [], false, "127.0.0.1:3000")).toBe(true);
    expect(originAllowed("http://127.0.0.1:3001", [], false, "127.0.0.1:3000")).toBe(false);
    expect(originAllowed("https://app.example.com", ["https://app.example.com/"], true)).toBe(true);
  });

  it("refuses foreign, opaque and malformed origins", () => {
    for (const origin of [
      "https://evil.example.com",
      "null",
      "file://",
      "not a url",
      "https://app.example.com.evil",
    ]) {
      expect(originAllowed(origin, ["https://app.example.com"], true), origin).toBe(false);
    }
    expect(originAllowed("http://app.example.com", ["https://app.example.com"], true)).toBe(false);
  });
});

describe("bearerChecker", () => {
  const ok = bearerChecker("s3cret-token-value");
  it("accepts exactly the token, any case of the scheme", () => {
    expect(ok("Bearer s3cret-token-value")).toBe(true);
    expect(ok("bearer s3cret-token-value")).toBe(true);
  });
  it("refuses everything else", () => {
    for (const h of [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "Bearer s3cret-token-valu",
      "Bearer s3cret-token-value2",
      "Basic s3cret-token-value",
      "s3cret-token-value",
    ]) {
      expect(ok(h), String(h)).toBe(false);
    }
  });
});

describe("TenantClients", () => {
  it("keeps one client per (base URL, key), bounded, least recently used out first", async () => {
    const made: string[] = [];
    const tenants = new TenantClients(
      (url, key, shared) => {
        made.push(key);
        return makeClient(url, key, shared);
      },
      { allowBaseUrlHeader: false, limits: { maxTenants: 2 }, rateLimit: { limit: 120, windowMs: 120_000 } },
    );
    const h = (sub: string, key: string) => ({ "x-moco-subdomain": sub, "x-moco-api-key": key });
    const first = tenants.resolve(h("acme", "key-1"));
    const again = tenants.resolve(h("ACME.mocoapp.com", "key-1"));
    expect(first.ok && again.ok && first.client === again.client).toBe(true);
    expect(tenants.resolve(h("acme", "key-2")).ok).toBe(true);
    expect(tenants.resolve(h("other", "key-1")).ok).toBe(true); // same key, other account: a new tenant
    expect(tenants.size).toBe(2);
    tenants.resolve(h("acme", "key-1")); // was evicted: built again
    expect(made).toEqual(["key-1", "key-2", "key-1", "key-1"]);
    await tenants.close();
  });
});
