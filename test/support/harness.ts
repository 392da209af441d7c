import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult, ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";
import { type Config, loadConfig, type Settings } from "../../src/config.js";
import { MirrorRegistry } from "../../src/leads/mirror/index.js";
import { createServer } from "../../src/mcp/server.js";
import type { RateBudget } from "../../src/moco/budget.js";
import { MocoClient } from "../../src/moco/client.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";
import { openStore } from "../../src/store/index.js";
import type { LeadStore } from "../../src/store/types.js";
import { selectTools, TOOL_NAMES } from "../../src/tools/index.js";

/**
 * A real server wired to a real sandbox over TCP through the real undici client, reached by the
 * SDK client over an in-memory transport. Everything but the stdio pipe is the production path.
 */
export interface Harness {
  client: Client;
  sandbox: Sandbox;
  moco: MocoClient;
  config: Config;
  /** The lead mirror of this harness's credentials, with `mirror: true`. */
  mirror?: import("../../src/leads/mirror/index.js").LeadMirror;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  sandbox?: SandboxOptions;
  /** Extra environment for loadConfig (MOCO_READ_ONLY, MOCO_TOOLS, …). */
  env?: Record<string, string>;
  argv?: string[];
  config?: Partial<Settings>;
  capabilities?: ClientCapabilities;
  /** Serve searches and summaries from a lead mirror in an in-memory store (as the bin does by default). */
  mirror?: boolean | { freshMs?: number };
  /** The store of the lead mirror instead of one in memory (implies `mirror`); closed with the harness. */
  store?: LeadStore;
  /** Client-side settings for the MOCO client (fast retries in tests). */
  client?: {
    maxRetries?: number;
    retryBaseMs?: number;
    retryMaxMs?: number;
    requestTimeoutMs?: number;
    budget?: RateBudget;
  };
}

export const TEST_KEY = "test-key-5f3a9c2e7b1d";

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sandbox = await startSandbox({ apiKey: TEST_KEY, ...options.sandbox });
  const loaded = loadConfig(
    options.argv ?? [],
    { MOCO_API_KEY: TEST_KEY, MOCO_BASE_URL: sandbox.url, ...options.env },
    TOOL_NAMES,
  );
  // The server's today is the sandbox's, so seeded reminders fall where the tests expect them.
  const config: Config = { ...loaded, today: options.sandbox?.today ?? loaded.today, ...options.config };
  const moco = new MocoClient({
    baseUrl: sandbox.url,
    apiKey: TEST_KEY,
    userAgent: "moco-leads-mcp-test",
    requestTimeoutMs: options.client?.requestTimeoutMs ?? config.requestTimeoutMs,
    budget: options.client?.budget ?? new RateLimiter(config.rateLimit),
    maxRetries: options.client?.maxRetries,
    retryBaseMs: options.client?.retryBaseMs ?? 5,
    retryMaxMs: options.client?.retryMaxMs ?? 20,
  });
  const store = options.store ?? (options.mirror ? await openStore({ kind: "memory" }) : undefined);
  const registry =
    store &&
    new MirrorRegistry({
      store,
      freshMs: typeof options.mirror === "object" ? options.mirror.freshMs : undefined,
    });
  const server = createServer({
    moco,
    mirrors: registry && (async () => registry),
    config,
    version: "0.0.0-test",
    tools: selectTools(config),
  });
  const client = new Client(
    { name: "harness", version: "1.0.0" },
    { capabilities: options.capabilities ?? {} },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  // Real clients list tools first, which makes the SDK client check every result against its schema.
  await client.listTools();
  return {
    client,
    sandbox,
    moco,
    config,
    mirror: registry?.forClient(moco),
    call: (name, args = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    async close() {
      await client.close();
      await server.close();
      registry?.close();
      await store?.close();
      await moco.close();
      await sandbox.close();
    },
  };
}

/** The text of a tool result. */
export const text = (result: CallToolResult) =>
  result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

/** Tool output read loosely: the SDK client has already checked it against the output schema. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk untyped JSON
export type Json = Record<string, any>;

/** The structured result of a successful call. */
export const sc = (r: { structuredContent?: unknown }) => r.structuredContent as Json;

/** The machine-readable error an isError result carries on its last text line. */
export function errorOf(result: CallToolResult): Json {
  expect(result.isError).toBe(true);
  const last = text(result).split("\n").at(-1) ?? "";
  return (JSON.parse(last) as { error: Json }).error;
}
