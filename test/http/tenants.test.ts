import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { call, captureStderr, type HttpFixture, initialize, raw, startHttpFixture } from "./support.js";

/**
 * --per-request-credentials: one server, two MOCO accounts (two sandboxes with different keys).
 * Each tenant must reach only its own account, also when their calls interleave.
 */
const KEY_A = "tenant-a-key-1b2c3d4e5f60718293a4";
const KEY_B = "tenant-b-key-9f8e7d6c5b4a39281706";

let f: HttpFixture;
let a: Sandbox;
let b: Sandbox;
const headersA = () => ({ "X-Moco-Base-Url": a.url, "X-Moco-Api-Key": KEY_A });
const headersB = () => ({ "X-Moco-Base-Url": b.url, "X-Moco-Api-Key": KEY_B });

beforeAll(async () => {
  [a, b] = await Promise.all([startSandbox({ apiKey: KEY_A }), startSandbox({ apiKey: KEY_B })]);
  f = await startHttpFixture({
    argv: ["--per-request-credentials"],
    env: { MCP_ALLOW_BASE_URL_HEADER: "true" },
  });
});
afterAll(async () => {
  await f.close();
  await Promise.all([a.close(), b.close()]);
});

const leadArgs = (s: Sandbox, name: string) => ({
  name,
  currency: "EUR",
  money: 1000,
  reminder_date: "2026-12-01",
  user_id: s.store.users[0]?.id,
  deal_category_id: s.store.categories[0]?.id,
  // Not about the duplicate check (create_lead refuses a lookalike of an open lead): skip it.
  allow_duplicate: true,
});
const leadOf = (r: { structuredContent?: unknown }) =>
  (r.structuredContent as { lead: { id: number; name: string } }).lead;

describe("per-request MOCO credentials", () => {
  it("keeps two tenants apart: a lead created by A is invisible to B", async () => {
    const [clientA, clientB] = await Promise.all([f.connect(headersA()), f.connect(headersB())]);
    const created = await call(clientA, "create_lead", leadArgs(a, "Only tenant A may see this"));
    expect(created.isError).toBeFalsy();
    const id = leadOf(created).id;
    expect(a.store.deals.some((d) => d.id === id)).toBe(true);
    expect(b.store.deals.some((d) => d.name === "Only tenant A may see this")).toBe(false);
    const fromB = await call(clientB, "get_lead", { id });
    expect(fromB.isError).toBe(true);
    expect(JSON.stringify(fromB.content)).not.toContain("Only tenant A");
    const fromA = await call(clientA, "get_lead", { id });
    expect(leadOf(fromA).name).toBe("Only tenant A may see this");
  });

  it("isolates interleaved concurrent calls of both tenants", async () => {
    const beforeA = a.requests.length;
    const beforeB = b.requests.length;
    const clients: { tenant: "A" | "B"; client: Client; sandbox: Sandbox }[] = [];
    for (let i = 0; i < 6; i++) {
      const tenant = i % 2 === 0 ? "A" : "B";
      const sandbox = tenant === "A" ? a : b;
      clients.push({ tenant, sandbox, client: await f.connect(tenant === "A" ? headersA() : headersB()) });
    }
    const rounds = 5;
    const results = await Promise.all(
      clients.flatMap(({ tenant, client, sandbox }, c) =>
        Array.from({ length: rounds }, async (_, round) => {
          const name = `Tenant ${tenant} lead c${c} r${round}`;
          const created = await call(client, "create_lead", leadArgs(sandbox, name));
          expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
          const read = await call(client, "get_lead", { id: leadOf(created).id });
          return { tenant, name, read: leadOf(read).name };
        }),
      ),
    );
    for (const r of results) expect(r.read).toBe(r.name);
    const newNames = (s: Sandbox) =>
      s.store.deals.map((d) => d.name).filter((n) => /^Tenant [AB] lead/.test(n));
    expect(newNames(a)).toHaveLength(3 * rounds);
    expect(newNames(b)).toHaveLength(3 * rounds);
    expect(newNames(a).every((n) => n.startsWith("Tenant A"))).toBe(true);
    expect(newNames(b).every((n) => n.startsWith("Tenant B"))).toBe(true);
    // What each sandbox received: only its own tenant's requests (a foreign key would be a 401),
    // and exactly its own creates.
    for (const [s, before] of [
      [a, beforeA],
      [b, beforeB],
    ] as const) {
      const got = s.requests.slice(before);
      expect(got.every((r) => r.status !== 401)).toBe(true);
      const creates = got.filter((r) => r.method === "POST" && r.path === "/deals");
      expect(creates).toHaveLength(3 * rounds);
      const tag = s === a ? "Tenant A" : "Tenant B";
      for (const r of creates) expect(JSON.stringify(r.body)).toContain(tag);
    }
  });

  it("passes a wrong key to MOCO as that tenant's auth error and never logs it", async () => {
    const wrong = "tenant-a-wrong-key-0a9b8c7d6e5f";
    const { result, stderr } = await captureStderr(async () => {
      const client = await f.connect({ "X-Moco-Base-Url": a.url, "X-Moco-Api-Key": wrong });
      return call(client, "list_leads", { per_page: 1 });
    });
    expect(result.isError).toBe(true);
    expect(a.requests.at(-1)?.status).toBe(401);
    expect(stderr).toMatch(
      /POST \/mcp 200 \d+ms .*"tool":"list_leads","outcome":"\w+","tenant":"[0-9a-f]{8}"/,
    );
    for (const secret of [wrong, KEY_A, KEY_B]) expect(stderr).not.toContain(secret);
    expect(stderr).not.toMatch(/x-moco/i);
  });

  it("answers 401 when the MOCO headers are missing, without falling back to the server's account", async () => {
    const cases: Record<string, string>[] = [{}, { "X-Moco-Api-Key": KEY_A }, { "X-Moco-Subdomain": "acme" }];
    for (const headers of cases) {
      const r = await raw(f.mcp, { body: initialize, headers });
      expect(r.status, JSON.stringify(headers)).toBe(401);
      expect(r.json.error.message).toMatch(/X-Moco-Api-Key/);
      expect(r.text).not.toContain(KEY_A);
    }
    await expect(f.connect()).rejects.toMatchObject({ code: 401 });
  });

  it("answers 400 for an invalid subdomain or a non-loopback base URL, echoing neither", async () => {
    const badSub = await raw(f.mcp, {
      body: initialize,
      headers: { "X-Moco-Subdomain": "evil.example.com/x", "X-Moco-Api-Key": KEY_A },
    });
    expect(badSub.status).toBe(400);
    expect(badSub.text).not.toContain("evil.example.com");
    const remote = await raw(f.mcp, {
      body: initialize,
      headers: { "X-Moco-Base-Url": "https://attacker.example/api/v1", "X-Moco-Api-Key": KEY_A },
    });
    expect(remote.status).toBe(400);
    expect(remote.text).not.toContain("attacker");
  });

  it("accepts a valid subdomain (initialize needs no MOCO request)", async () => {
    const r = await raw(f.mcp, {
      body: initialize,
      headers: { "X-Moco-Subdomain": "acme.mocoapp.com", "X-Moco-Api-Key": KEY_A },
    });
    expect(r.status).toBe(200);
  });
});

describe("per-request credential headers elsewhere", () => {
  it("refuses X-Moco-Base-Url unless MCP_ALLOW_BASE_URL_HEADER is set", async () => {
    const g = await startHttpFixture({ argv: ["--per-request-credentials"] });
    try {
      const r = await raw(g.mcp, {
        body: initialize,
        headers: { "X-Moco-Base-Url": a.url, "X-Moco-Api-Key": KEY_A },
      });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/X-Moco-Subdomain instead/);
    } finally {
      await g.close();
    }
  });

  it("refuses X-Moco-* headers when the server uses its own credentials, rather than ignoring them", async () => {
    const g = await startHttpFixture();
    try {
      const r = await raw(g.mcp, {
        body: initialize,
        headers: { "X-Moco-Subdomain": "acme", "X-Moco-Api-Key": KEY_A },
      });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/does not take per-request/);
    } finally {
      await g.close();
    }
  });
});
