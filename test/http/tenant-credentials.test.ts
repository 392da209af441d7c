import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { MocoClient } from "../../src/moco/client.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { type MakeClient, TenantClients } from "../../src/transports/http/tenants.js";
import { until } from "../support/sockets.js";
import { json, startUpstream, type Upstream } from "../support/upstream.js";
import { captureStderr, type HttpFixture, raw, startHttpFixture } from "./support.js";

/**
 * Per-request credentials: rotating keys or subdomains must not multiply the upstream traffic or
 * the sockets the server holds.
 */
let fixtures: HttpFixture[] = [];
let upstreams: Upstream[] = [];
afterEach(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
  await Promise.all(upstreams.map((u) => u.close()));
  fixtures = [];
  upstreams = [];
});

const listLeads = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "list_leads", arguments: {} },
});
const post = (f: HttpFixture, headers: Record<string, string>) =>
  raw(f.mcp, { body: listLeads, headers: { "mcp-protocol-version": "2025-11-25", ...headers } });

/** Runs `fn` for 0..n-1, `width` at a time. */
async function pool(n: number, width: number, fn: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function perRequest(env: Record<string, string>) {
  const f = await startHttpFixture({
    argv: ["--per-request-credentials"],
    env: { MCP_ALLOW_BASE_URL_HEADER: "true", ...env },
  });
  fixtures.push(f);
  return f;
}

describe("per-request credentials", () => {
  it("1,000 rotating keys on one account stay within that account's budget of 20", async () => {
    const f = await perRequest({ MOCO_RATE_LIMIT: "20", MCP_MAX_TENANTS: "5000" });
    const before = f.sandbox.requests.length;
    const statuses = new Map<number, number>();
    await pool(1_000, 32, async (i) => {
      const r = await post(f, {
        "X-Moco-Base-Url": f.sandbox.url,
        "X-Moco-Api-Key": `rotating-key-${i}-abcdef`,
      });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    });
    expect(statuses.get(200)).toBe(1_000); // tool errors (401 from MOCO, budget exhausted), not HTTP ones
    expect(f.sandbox.requests.length - before).toBeLessThanOrEqual(20);
  });

  it("distinct keys are capped: key 51 is refused with 503 while the other 50 are busy", async () => {
    const f = await perRequest({ MCP_MAX_TENANTS: "50" });
    const base = { "X-Moco-Base-Url": f.sandbox.url };
    for (let i = 0; i < 50; i++) {
      expect((await post(f, { ...base, "X-Moco-Api-Key": `busy-key-${i}-abcdef` })).status).toBe(200);
    }
    const refused = await post(f, { ...base, "X-Moco-Api-Key": "one-key-too-many-abcdef" });
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("60");
    expect(refused.json.error.message).toMatch(/distinct MOCO keys \(50\)/);
    expect(refused.text).not.toContain("one-key-too-many");
  });

  it("300 distinct accounts hold at most 50 sockets to MOCO", async () => {
    const up = await startUpstream((_req, res) => json(res, 200, []), "0.0.0.0");
    upstreams.push(up);
    const port = new URL(up.url).port;
    const f = await perRequest({ MCP_MAX_ACCOUNTS: "50", MCP_UPSTREAM_CONNECTIONS: "50" });
    const statuses: number[] = [];
    await pool(300, 16, async (i) => {
      const host = `127.0.${10 + Math.floor(i / 250)}.${1 + (i % 250)}`;
      const r = await post(f, {
        "X-Moco-Base-Url": `http://${host}:${port}/api/v1`,
        "X-Moco-Api-Key": "same-key-everywhere-abc",
      });
      statuses.push(r.status);
    });
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 503)).toHaveLength(250);
    expect(up.peak()).toBeLessThanOrEqual(50);
  });

  it("an evicted idle account's sockets to MOCO are closed", async () => {
    const up = await startUpstream((_req, res) => json(res, 200, []), "0.0.0.0");
    upstreams.push(up);
    const port = new URL(up.url).port;
    // A 100 ms window, so an account turns idle (nothing left in its window) within the test.
    const rateLimit = { limit: 100, windowMs: 100 };
    const make: MakeClient = (baseUrl, apiKey, shared) =>
      new MocoClient({
        baseUrl,
        apiKey,
        userAgent: "t",
        requestTimeoutMs: 5_000,
        budget: new RateLimiter(rateLimit),
        ...shared,
      });
    const tenants = new TenantClients(make, {
      allowBaseUrlHeader: true,
      rateLimit,
      limits: { maxAccounts: 1 },
    });
    const headers = (host: string) => ({
      "x-moco-base-url": `http://${host}:${port}/api/v1`,
      "x-moco-api-key": "evict-key-123456",
    });
    const a = tenants.resolve(headers("127.0.4.1"));
    if (!a.ok) throw new Error(a.message);
    await a.client.get("/deals");
    expect(up.open()).toEqual(["127.0.4.1"]); // kept alive
    expect(tenants.resolve(headers("127.0.4.2")).ok).toBe(false); // account A is still busy
    await until(() => a.client.budget.idle(), 5_000, "account A idle");
    const b = tenants.resolve(headers("127.0.4.2"));
    expect(b.ok).toBe(true);
    expect(tenants.accountCount).toBe(1);
    await until(() => !up.open().includes("127.0.4.1"), 5_000, "A's socket closed");
    await tenants.close();
  });
});

describe("per-request credentials at shutdown", () => {
  it("a tenant's write still unanswered when the grace ends is logged as 'may have been created'", async () => {
    const held: (() => void)[] = [];
    const up = await startUpstream(async (_req, res) => {
      await new Promise<void>((release) => held.push(release));
      json(res, 200, {
        id: 5,
        text: "x",
        created_at: "2026-01-05T09:00:00Z",
        updated_at: "2026-01-05T09:00:00Z",
      });
    });
    upstreams.push(up);
    const f = await startHttpFixture({
      argv: ["--per-request-credentials"],
      env: { MCP_ALLOW_BASE_URL_HEADER: "true" },
    });
    const controller = new AbortController();
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "add_lead_note", arguments: { id: 1, text: "Called" } },
    });
    const res = await request(f.mcp, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-11-25",
        "x-moco-base-url": up.url,
        "x-moco-api-key": "shutdown-tenant-key-1234",
      },
      body,
      signal: controller.signal,
    });
    await until(() => up.requests.some((r) => r.method === "POST"), 5_000, "the POST reaching MOCO");
    controller.abort("hung up"); // nothing in flight over HTTP any more; the write to MOCO is
    await res.body.text().catch(() => {});
    const { stderr } = await captureStderr(() => f.handle.close(300));
    expect(stderr).toMatch(
      /shutdown: POST \/comments was sent to MOCO but its answer did not arrive in time: it may have been created\. .*"tenant":"[0-9a-f]{8}"/,
    );
    for (const release of held) release();
    await f.close();
  });
});
