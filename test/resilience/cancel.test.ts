import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { MocoClient } from "../../src/moco/client.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { createServer } from "../../src/server.js";
import { TOOL_NAMES } from "../../src/tools/index.js";

/**
 * When the MCP client cancels a call (notifications/cancelled), the HTTP request to MOCO is
 * aborted and no result is sent for it. The transport is tapped to see every message the server sends.
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
    rateLimit: config.rateLimit,
  });
  const server = createServer({ moco, config, version: "test" });
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
  it("aborts the in-flight MOCO request and sends no result", async () => {
    const target = sandbox.store.deals.find((d) => d.status === "pending") as { id: number; money: number };
    const before = target.money;
    sandbox.faults.push({ kind: "slow", delayMs: 600, method: "PUT" });
    const controller = new AbortController();
    const call = client.callTool(
      { name: "update_lead", arguments: { id: target.id, money: before + 1 } },
      undefined,
      { signal: controller.signal },
    );
    await new Promise((r) => setTimeout(r, 150));
    const inFlightBefore = sent.length;
    controller.abort("user pressed stop");
    await expect(call).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 900));
    // The sandbox only applies a slow request if the client is still connected when the delay ends.
    expect(sandbox.store.deal(target.id)?.money).toBe(before);
    const put = sandbox.requests.find((r) => r.method === "PUT" && r.path === `/deals/${target.id}`);
    expect(put?.status).toBe(0);
    // No response for the cancelled request id reached the client.
    const responses = sent.slice(inFlightBefore).filter((m) => "result" in m || "error" in m);
    expect(responses).toEqual([]);
  });
});
