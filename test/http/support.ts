import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { request } from "undici";
import { vi } from "vitest";
import { type HttpConfig, loadConfig } from "../../src/config.js";
import { MirrorRegistry } from "../../src/leads/mirror/index.js";
import { setLogLevel } from "../../src/log.js";
import { MocoClient } from "../../src/moco/client.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";
import { openStore } from "../../src/store/index.js";
import { selectTools, TOOL_NAMES } from "../../src/tools/index.js";
import {
  type HttpHandle,
  headerClients,
  type MakeClient,
  ownClient,
  startHttpServer,
} from "../../src/transports/http/index.js";
import { asHttp } from "../support/http-config.js";

/**
 * The HTTP transport on 127.0.0.1 port 0 in front of a real sandbox over TCP, reached by the SDK's
 * StreamableHTTPClientTransport or by raw requests. Everything but the bin is the production path.
 */
export interface HttpFixture {
  handle: HttpHandle;
  /** `${handle.url}/mcp` */
  mcp: string;
  sandbox: Sandbox;
  moco: MocoClient;
  config: HttpConfig;
  connect(headers?: Record<string, string>): Promise<Client>;
  close(): Promise<void>;
}

export interface HttpFixtureOptions {
  env?: Record<string, string>;
  argv?: string[];
  sandbox?: SandboxOptions;
  apiKey?: string;
}

export const makeClient: MakeClient = (baseUrl, apiKey, shared) =>
  new MocoClient({
    baseUrl,
    apiKey,
    userAgent: "moco-leads-mcp-http-test",
    requestTimeoutMs: 10_000,
    budget: new RateLimiter({ limit: 100_000, windowMs: 120_000 }),
    retryBaseMs: 5,
    retryMaxMs: 20,
    ...shared,
  });

export async function startHttpFixture(options: HttpFixtureOptions = {}): Promise<HttpFixture> {
  const apiKey = options.apiKey ?? "http-test-key-3e5a7c9b1d2f";
  const sandbox = await startSandbox({ apiKey, ...options.sandbox });
  const config = asHttp(
    loadConfig(
      ["--transport", "http", "--port", "0", ...(options.argv ?? [])],
      { MOCO_API_KEY: apiKey, MOCO_BASE_URL: sandbox.url, MOCO_RATE_LIMIT: "100000", ...options.env },
      TOOL_NAMES,
    ),
  );
  const moco = makeClient(sandbox.url, apiKey);
  const mocoClients =
    config.upstream.kind === "per-request"
      ? headerClients(makeClient, config.upstream, config.rateLimit)
      : ownClient(moco);
  // A lead mirror in memory, as the bin keeps one (history for lead_changes).
  const store = await openStore({ kind: "memory" });
  const registry = new MirrorRegistry({ store });
  const handle = await startHttpServer(config, {
    clients: mocoClients,
    mirrors: async () => registry,
    version: "0.0.0-test",
    tools: selectTools(config),
  });
  const mcp = `${handle.url}/mcp`;
  const clients: Client[] = [];
  return {
    handle,
    mcp,
    sandbox,
    moco,
    config,
    async connect(headers = {}) {
      const client = new Client({ name: "http-test", version: "1.0.0" });
      const transport = new StreamableHTTPClientTransport(new URL(mcp), { requestInit: { headers } });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await handle.close(1000);
      registry.close();
      await store.close();
      await moco.close();
      await sandbox.close();
    },
  };
}

/** A JSON-RPC error body (what the transport sends before MCP), or any other JSON. */
export type RawJson = { error: { code: number; message: string } } & Record<string, unknown>;

/** A raw request: undici lets a test set Host and Origin, which fetch forbids. */
export async function raw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
) {
  const res = await request(url, {
    method: (init.method ?? "POST") as "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...init.headers,
    },
    body: init.body,
  });
  const text = await res.body.text();
  let json: RawJson;
  try {
    json = JSON.parse(text) as RawJson;
  } catch {
    json = { error: { code: 0, message: "(not JSON)" } };
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

export const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

export const call = (client: Client, name: string, args: Record<string, unknown> = {}) =>
  client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

/** Everything logged to stderr at any level while `fn` runs (kept out of the test output). */
export async function captureStderr<T>(fn: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  let stderr = "";
  setLogLevel("debug"); // vitest.config quiets logs to "error"
  const spy = vi.spyOn(process.stderr, "write").mockImplementation(((chunk: string | Uint8Array) => {
    stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write);
  try {
    return { result: await fn(), stderr };
  } finally {
    spy.mockRestore();
    setLogLevel("error");
  }
}
