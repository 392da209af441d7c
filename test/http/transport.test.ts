import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, captureStderr, type HttpFixture, initialize, raw, startHttpFixture } from "./support.js";

const TOKEN = "tok-7f1e9d3c5b2a8e4f6d0c1b3a";

describe("Streamable HTTP: every tool through the SDK client", () => {
  let f: HttpFixture;
  beforeAll(async () => {
    f = await startHttpFixture();
  });
  afterAll(() => f.close());

  it("serves tools/list over stateless HTTP", async () => {
    const client = await f.connect();
    const { tools } = await client.listTools();
    for (const name of ["list_leads", "get_lead", "create_lead", "update_lead", "delete_lead"]) {
      expect(tools.map((t) => t.name)).toContain(name);
    }
  });

  it("calls every registered tool with valid arguments, and each succeeds", async () => {
    const client = await f.connect();
    const { tools } = await client.listTools();
    const store = f.sandbox.store;
    const user = store.users[0];
    const category = store.categories[0];
    const existing = store.deals.find((d) => d.status === "pending") ?? store.deals[0];
    if (!user || !category || !existing) throw new Error("sandbox seed lacks users, stages or leads");

    const created = await call(client, "create_lead", {
      name: "HTTP Test GmbH – Relaunch",
      currency: "EUR",
      money: 12_000,
      reminder_date: "2026-12-01",
      user_id: user.id,
      deal_category_id: category.id,
    });
    expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
    const newId = (created.structuredContent as { lead: { id: number } }).lead.id;
    // Valid arguments for every tool but create_lead, in an order that leaves the seed intact
    // (delete_lead last, on the lead created above). A new tool must be added here.
    const known: Record<string, Record<string, unknown>> = {
      list_leads: { per_page: 5, query: "relaunch" },
      get_lead: { id: existing.id, include_notes: true },
      get_lead_options: { search: "Beispiel" },
      pipeline_summary: { status: "pending", group_by: "user" },
      update_lead: { id: newId, money: 13_000 },
      update_leads: { ids: [newId], changes: { reminder_date: "2027-01-15" } },
      lead_changes: { since: "2026-01-01" },
      add_lead_note: { id: newId, text: "Called, budget confirmed" },
      // Over stateless HTTP (no elicitation) a delete is a preview first; the token below confirms it.
      delete_lead: { id: newId },
    };
    const unknown = tools.map((t) => t.name).filter((n) => n !== "create_lead" && !(n in known));
    expect(unknown, "tools without test arguments: add them to `known`").toEqual([]);
    const called = ["create_lead"];
    for (const [name, args] of Object.entries(known)) {
      if (!tools.some((t) => t.name === name)) continue;
      const r = await call(client, name, args);
      expect(r.isError, `${name}: ${JSON.stringify(r.content)}`).toBeFalsy();
      called.push(name);
    }
    const preview = await call(client, "delete_lead", { id: newId });
    const token = (preview.structuredContent as { confirm_token?: string }).confirm_token;
    expect(store.deals.some((d) => d.id === newId)).toBe(true);
    const confirmed = await call(client, "delete_lead", { id: newId, confirm_token: token });
    expect((confirmed.structuredContent as { deleted: boolean }).deleted).toBe(true);
    expect(store.deals.some((d) => d.id === newId)).toBe(false);
    expect(called.sort()).toEqual(tools.map((t) => t.name).sort());
  });

  it("answers GET /healthz without auth", async () => {
    const r = await raw(`${f.handle.url}/healthz`, { method: "GET" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: "ok" });
  });

  it("refuses GET and DELETE on /mcp with 405 and a JSON-RPC error (stateless: no SSE stream, no session)", async () => {
    for (const method of ["GET", "DELETE"]) {
      const r = await raw(f.mcp, { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toContain("POST");
      expect(r.json).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 }, id: null });
    }
  });

  it("answers 404 off /mcp, 415 for a non-JSON body and 400 for broken JSON", async () => {
    expect((await raw(`${f.handle.url}/other`, { body: initialize })).status).toBe(404);
    const text = await raw(f.mcp, { body: initialize, headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    const broken = await raw(f.mcp, { body: "{not json" });
    expect(broken.status).toBe(400);
    expect(broken.json.error.code).toBe(-32700);
  });

  it("refuses a foreign Host with 403 (DNS rebinding) and accepts the loopback names", async () => {
    const evil = await raw(f.mcp, { body: initialize, headers: { host: "evil.example.com" } });
    expect(evil.status).toBe(403);
    expect(evil.json.error.message).toMatch(/Host/);
    const wrongPort = await raw(f.mcp, { body: initialize, headers: { host: "localhost:1" } });
    expect(wrongPort.status).toBe(403);
    const sneaky = await raw(f.mcp, {
      body: initialize,
      headers: { host: `evil.example.com@127.0.0.1:${f.handle.port}` },
    });
    expect(sneaky.status).toBe(403);
    for (const host of [`localhost:${f.handle.port}`, `127.0.0.1:${f.handle.port}`]) {
      expect((await raw(f.mcp, { body: initialize, headers: { host } })).status, host).toBe(200);
    }
  });

  it("refuses a foreign Origin with 403 and accepts a listed loopback page with CORS headers", async () => {
    const evil = await raw(f.mcp, { body: initialize, headers: { origin: "https://evil.example.com" } });
    expect(evil.status).toBe(403);
    expect(evil.json.error.message).toMatch(/Origin/);
    expect((await raw(f.mcp, { body: initialize, headers: { origin: "null" } })).status).toBe(403);
    // Without a token, a page another local app serves is refused unless its origin is listed.
    const unlisted = await raw(f.mcp, { body: initialize, headers: { origin: "http://localhost:6274" } });
    expect(unlisted.status).toBe(403);
    const g = await startHttpFixture({ env: { MCP_ALLOWED_ORIGINS: "http://localhost:6274" } });
    try {
      const local = await raw(g.mcp, { body: initialize, headers: { origin: "http://localhost:6274" } });
      expect(local.status).toBe(200);
      expect(local.headers["access-control-allow-origin"]).toBe("http://localhost:6274");
      const preflight = await raw(g.mcp, {
        method: "OPTIONS",
        headers: { origin: "http://localhost:6274", "access-control-request-method": "POST" },
      });
      expect(preflight.status).toBe(204);
      expect(String(preflight.headers["access-control-allow-headers"])).toContain("mcp-protocol-version");
    } finally {
      await g.close();
    }
  });

  it("refuses a body over the limit with 413, by Content-Length and by counting a chunked body", async () => {
    const big = Buffer.alloc(f.config.http.maxBodyBytes + 1, 0x20);
    const declared = await raw(f.mcp, { body: big });
    expect(declared.status).toBe(413);
    expect(declared.json.error.message).toMatch(/too large/);
    // No Content-Length: a stream body goes out chunked.
    const { Readable } = await import("node:stream");
    const chunks = () => Readable.from(Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024, 0x20)));
    const { request } = await import("undici");
    const res = await request(f.mcp, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: chunks(),
    }).catch((error: Error) => ({ statusCode: 0, error }));
    expect(res.statusCode).toBe(413);
  });

  it("can answer with plain JSON instead of SSE (MCP_HTTP_JSON_RESPONSE)", async () => {
    const g = await startHttpFixture({ env: { MCP_HTTP_JSON_RESPONSE: "true" } });
    try {
      const r = await raw(g.mcp, { body: initialize });
      expect(r.status).toBe(200);
      expect(r.headers["content-type"]).toMatch(/^application\/json/);
      const client = await g.connect();
      const list = await call(client, "list_leads", { per_page: 2 });
      expect(list.isError).toBeFalsy();
    } finally {
      await g.close();
    }
  });
});

describe("Streamable HTTP: bearer token", () => {
  let f: HttpFixture;
  beforeAll(async () => {
    f = await startHttpFixture({ env: { MCP_HTTP_TOKEN: TOKEN } });
  });
  afterAll(() => f.close());

  it("answers 401 with WWW-Authenticate without a token, with a wrong one and with another scheme", async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, "Bearer short", `Basic ${TOKEN}`]) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const r = await raw(f.mcp, { body: initialize, headers });
      expect(r.status, authorization).toBe(401);
      expect(r.headers["www-authenticate"]).toBe('Bearer realm="moco-leads-mcp"');
      expect(r.json).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 }, id: null });
      expect(r.text).not.toContain(TOKEN);
    }
  });

  it("refuses the SDK client without the token and serves it with the token", async () => {
    await expect(f.connect()).rejects.toMatchObject({ code: 401 });
    const client = await f.connect({ Authorization: `Bearer ${TOKEN}` });
    const r = await call(client, "get_lead", { id: f.sandbox.store.deals[0]?.id });
    expect(r.isError).toBeFalsy();
  });

  it("leaves /healthz open", async () => {
    expect((await raw(`${f.handle.url}/healthz`, { method: "GET" })).status).toBe(200);
  });
});

describe("Streamable HTTP: access log", () => {
  it("logs method, path, status, duration and tool name, and never a secret", async () => {
    const f = await startHttpFixture({ env: { MCP_HTTP_TOKEN: TOKEN } });
    try {
      const { stderr } = await captureStderr(async () => {
        const client = await f.connect({ Authorization: `Bearer ${TOKEN}` });
        await call(client, "get_lead", { id: 99_999_999 }); // a failing call logs a warning too
        await call(client, "list_leads", { per_page: 1 });
        await raw(f.mcp, { body: initialize, headers: { authorization: `Bearer wrong-${TOKEN}` } });
      });
      expect(stderr).toMatch(
        /POST \/mcp 200 \d+ms \{"rpc":"tools\/call","tool":"get_lead","outcome":"\w+"\}/,
      );
      expect(stderr).toMatch(
        /POST \/mcp 200 \d+ms \{"rpc":"tools\/call","tool":"list_leads","outcome":"\w+"\}/,
      );
      expect(stderr).toMatch(/POST \/mcp 401 \d+ms/);
      expect(stderr).not.toContain(TOKEN);
      expect(stderr).not.toContain(f.sandbox.apiKey);
      expect(stderr).not.toMatch(/authorization/i);
    } finally {
      await f.close();
    }
  });
});
