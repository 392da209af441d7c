import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { TOOL_NAMES } from "../../src/tools/index.js";
import { asHttp } from "../support/http-config.js";
import { until } from "../support/sockets.js";
import { captureStderr, type HttpFixture, raw, startHttpFixture } from "./support.js";

/** What a JSON-RPC body may hold and how it is logged; a hang-up; an IPv6 loopback bind. */
let fixtures: HttpFixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
  fixtures = [];
});
const start = async (...args: Parameters<typeof startHttpFixture>) => {
  const f = await startHttpFixture(...args);
  fixtures.push(f);
  return f;
};

const rpc = (id: number, name: string, args: Record<string, unknown>) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

describe("JSON-RPC batches", () => {
  it("a batch [list_leads, delete_lead ×3] is logged as four calls with their outcomes", async () => {
    const f = await start();
    const ids = f.sandbox.store.deals.slice(0, 3).map((d) => d.id);
    // Over HTTP there is no elicitation: each delete needs the confirm_token of its preview call.
    const client = await f.connect();
    const tokens = await Promise.all(
      ids.map(async (id) => {
        const preview = await client.callTool({ name: "delete_lead", arguments: { id } });
        return (preview.structuredContent as { confirm_token: string }).confirm_token;
      }),
    );
    const batch = [
      rpc(1, "list_leads", {}),
      ...ids.map((id, i) => rpc(2 + i, "delete_lead", { id, confirm_token: tokens[i] })),
    ];
    const { result, stderr } = await captureStderr(() =>
      raw(f.mcp, { body: JSON.stringify(batch), headers: { "mcp-protocol-version": "2025-03-26" } }),
    );
    expect(result.status).toBe(200);
    for (const id of ids) expect(f.sandbox.store.deal(id)).toBeUndefined();
    const lines = stderr.split("\n").filter((l) => l.includes("POST /mcp 200"));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/"rpc":"tools\/call","tool":"list_leads","outcome":"ok","batch":"1\/4"/);
    for (let i = 1; i <= 3; i++) {
      expect(lines[i]).toMatch(new RegExp(`"tool":"delete_lead","outcome":"ok","batch":"${i + 1}/4"`));
    }
  });

  it("a batch of 11 messages is refused before any of them runs", async () => {
    const f = await start();
    const before = f.sandbox.requests.length;
    const batch = Array.from({ length: 11 }, (_, i) => rpc(i + 1, "list_leads", {}));
    const r = await raw(f.mcp, {
      body: JSON.stringify(batch),
      headers: { "mcp-protocol-version": "2025-03-26" },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/at most 10 messages/);
    expect(f.sandbox.requests.length).toBe(before);
  });

  it("a batch under protocol 2025-11-25, which has no batches, is refused", async () => {
    const f = await start();
    const batch = [rpc(1, "list_leads", {}), rpc(2, "list_leads", {})];
    const r = await raw(f.mcp, {
      body: JSON.stringify(batch),
      headers: { "mcp-protocol-version": "2025-11-25" },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/protocol 2025-11-25 has no JSON-RPC batches/);
  });
});

describe("a client hanging up", () => {
  it("an HTTP client hanging up does not abort a write already sent to MOCO", async () => {
    const f = await start();
    const target = f.sandbox.store.deals.find((d) => d.status === "pending") as { id: number; money: number };
    const before = target.money;
    f.sandbox.faults.push({ kind: "slow", delayMs: 500, method: "PUT" });
    // A raw request whose socket is torn down: the server sees the hang-up, not an MCP cancellation.
    const controller = new AbortController();
    const res = await request(f.mcp, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-11-25",
      },
      body: JSON.stringify(rpc(1, "update_lead", { id: target.id, money: before + 7 })),
      signal: controller.signal,
    });
    const path = `/deals/${target.id}`;
    await until(() => f.sandbox.requests.some((r) => r.method === "PUT" && r.path === path));
    controller.abort("hung up");
    expect(await res.body.text().catch(() => "aborted")).toBe("aborted");
    await until(() =>
      f.sandbox.requests.some((r) => r.method === "PUT" && r.path === path && r.status === 200),
    );
    expect(f.sandbox.store.deal(target.id)?.money).toBe(before + 7);
  });
});

describe("--host [::1]", () => {
  it("is read as the IPv6 loopback address", () => {
    const config = loadConfig(
      ["--transport", "http", "--host", "[::1]"],
      { MOCO_API_KEY: "k", MOCO_SUBDOMAIN: "acme" },
      TOOL_NAMES,
    );
    expect(asHttp(config).http.host).toBe("::1");
  });

  it("passes the loopback check and binds: /healthz answers on http://[::1]:port", async () => {
    const f = await start({ argv: ["--host", "[::1]"] });
    expect(f.handle.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const r = await raw(`${f.handle.url}/healthz`, { method: "GET" });
    expect(r.status).toBe(200);
  });
});
