import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createServer } from "../../src/mcp/server.js";
import { MocoClient } from "../../src/moco/client.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { selectTools, TOOL_NAMES } from "../../src/tools/index.js";

/**
 * When the MCP client cancels a call (notifications/cancelled), no result is sent for it. A read to
 * MOCO is aborted; a write already sent runs to its answer, so MOCO's state is known rather than
 * "maybe" (a write still waiting for the rate budget is never sent: test/mcp/cancel-writes.test.ts).
 * The transport is tapped to see every message the server sends.
 */
let sandbox: Sandbox;
let client: Client;
const sent: JSONRPCMessage[] = [];
let close: () => Promise<void>;

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: "cancel-key-123" });
  const config = loadConfig([], { MOCO_API_KEY: "cancel-key-123", MOCO_BASE_URL: sandbox.url }, TOOL_NAMES);
  const moco = new MocoClient({
    baseUrl: sandbox.url,
    apiKey: "cancel-key-123",
    userAgent: "test",
    requestTimeoutMs: 10_000,
    budget: new RateLimiter(config.rateLimit),
  });
  const server = createServer({ moco, config, version: "test", tools: selectTools(config) });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const send = serverSide.send.bind(serverSide);
  serverSide.send = (message, options) => {
    sent.push(message);
    return send(message, options);
  };
  await server.connect(serverSide);
  client = new Client({ name: "cancel", version: "1" });
  await client.connect(clientSide);
  await client.listTools();
  close = async () => {
    await client.close();
    await moco.close();
    await sandbox.close();
  };
});
afterAll(() => close());

describe("cancellation", () => {
  it("a cancelled PUT already sent to MOCO completes, and no result is sent", async () => {
    const target = sandbox.store.deals.find((d) => d.status === "pending") as { id: number; money: number };
    const before = target.money;
    sandbox.faults.push({ kind: "slow", delayMs: 600, method: "PUT" });
    const controller = new AbortController();
    const call = client.callTool(
      { name: "update_lead", arguments: { id: target.id, money: before + 1 } },
      undefined,
      { signal: controller.signal },
    );
    const path = `/deals/${target.id}`;
    await until(() => sandbox.requests.some((r) => r.method === "PUT" && r.path === path));
    const inFlightBefore = sent.length;
    controller.abort("user pressed stop");
    await expect(call).rejects.toThrow();
    // The sandbox applies a slow request only if the connection is still open when its delay ends.
    await until(() =>
      sandbox.requests.some((r) => r.method === "PUT" && r.path === path && r.status === 200),
    );
    expect(sandbox.store.deal(target.id)?.money).toBe(before + 1);
    // No response for the cancelled request id reached the client.
    const responses = sent.slice(inFlightBefore).filter((m) => "result" in m || "error" in m);
    expect(responses).toEqual([]);
  });

  it("a cancelled get_lead aborts its MOCO request and sends no result", async () => {
    // Not the lead the PUT test touched: nothing about it can be known without asking MOCO.
    const target = sandbox.store.deals.find((d) => d.status !== "pending") as { id: number };
    sandbox.faults.push({ kind: "slow", delayMs: 600, method: "GET" });
    const controller = new AbortController();
    const call = client.callTool({ name: "get_lead", arguments: { id: target.id } }, undefined, {
      signal: controller.signal,
    });
    const path = `/deals/${target.id}`;
    await until(() => sandbox.requests.some((r) => r.method === "GET" && r.path === path));
    const inFlightBefore = sent.length;
    controller.abort("user pressed stop");
    await expect(call).rejects.toThrow();
    await until(() => sandbox.requests.some((r) => r.method === "GET" && r.path === path && r.status === 0));
    const responses = sent.slice(inFlightBefore).filter((m) => "result" in m || "error" in m);
    expect(responses).toEqual([]);
  });
});

/** Polls a condition (no fixed sleeps); fails after 5 s. */
async function until(condition: () => boolean): Promise<void> {
  const end = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met within 5 s");
    await new Promise((r) => setTimeout(r, 10));
  }
}
