import { mkdtempSync, rmSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { loadConfig } from "../../src/config.js";
import { createServer } from "../../src/mcp/server.js";
import { MocoClient } from "../../src/moco/client.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { createOAuth, type OAuth, type OAuthOptions } from "../../src/oauth/index.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";
import { selectTools, TOOL_NAMES } from "../../src/tools/index.js";

/**
 * The OAuth module mounted the way the HTTP transport will mount it: a node:http server on
 * 127.0.0.1 port 0 that calls oauth.handle() first, then for /mcp oauth.authenticate() and a
 * fresh McpServer + stateless StreamableHTTPServerTransport per request (as src/transports/http/exchange.ts
 * does), with the person's own MOCO key, in front of a real sandbox over TCP.
 */

export const SANDBOX_KEY = "sandbox-person-key-7f3a9c2e5b8d1046";
export const SECRET = "test-sealing-secret-0123456789abcdef-ZYXW";

export interface Stack {
  base: string;
  mcp: string;
  sandbox: Sandbox;
  oauth: OAuth;
  dbPath: string;
  clock: { now: number };
  /** Row counts of every oauth_* table, read from the database file by a separate connection. */
  counts(): Record<string, number>;
  /** Every row of every oauth_* table, as text, plus the raw bytes of the database files. */
  raw(): string;
  close(): Promise<void>;
}

export const TABLES = [
  "oauth_clients",
  "oauth_grants",
  "oauth_codes",
  "oauth_tokens",
  "oauth_pending",
  "oauth_limits",
] as const;

export async function startStack(
  overrides: Partial<OAuthOptions> = {},
  sandboxOptions: SandboxOptions = {},
): Promise<Stack> {
  const sandbox = await startSandbox({ apiKey: SANDBOX_KEY, ...sandboxOptions });
  const dir = mkdtempSync(join(tmpdir(), "oauth-test-"));
  const dbPath = join(dir, "grants.sqlite");
  const clock = { now: Date.now() };
  let oauth: OAuth | undefined;
  const server: Server = createHttpServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      // Say what failed: a test that meets a 500 should show its cause.
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" }).end(String(error));
    });
  });
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!oauth) throw new Error("not ready");
    if (await oauth.handle(req, res)) return;
    if ((req.url ?? "").split("?")[0] !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== "POST") {
      // As src/transports/http/exchange.ts: stateless, POST only (the SDK client then opens no SSE stream).
      res.writeHead(405, { Allow: "POST" }).end();
      return;
    }
    const auth = await oauth.authenticate(req);
    if (!auth.ok) {
      const body = JSON.stringify({
        jsonrpc: "2.0",
        error: { code: -32000, message: auth.message },
        id: null,
      });
      res.writeHead(auth.status, { ...auth.headers, "Content-Type": "application/json" }).end(body);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const config = loadConfig(
      [],
      { MOCO_API_KEY: "unused-config-key-0000", MOCO_BASE_URL: sandbox.url, MOCO_RATE_LIMIT: "100000" },
      TOOL_NAMES,
    );
    const moco = new MocoClient({
      baseUrl: auth.baseUrl,
      apiKey: auth.apiKey,
      userAgent: "oauth-test",
      requestTimeoutMs: 10_000,
      budget: new RateLimiter({ limit: 100_000, windowMs: 120_000 }),
    });
    const mcpServer = createServer({
      moco,
      config: { ...config, readOnly: auth.readOnly },
      version: "0.0.0-test",
      tools: selectTools({ ...config, readOnly: auth.readOnly }),
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on("close", () => {
      void transport.close().catch(() => {});
      void mcpServer.close().catch(() => {});
      void moco.close();
    });
    await mcpServer.connect(transport);
    await transport.handleRequest(req, res, parsed);
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  oauth = await createOAuth({
    publicUrl: base,
    store: { sqlitePath: dbPath },
    secrets: [SECRET],
    subdomains: [],
    loopbackBaseUrl: sandbox.url,
    userAgent: "oauth-test",
    now: () => clock.now,
    ...overrides,
  });
  const read = () => new DatabaseSync(dbPath, { readOnly: true });
  return {
    base,
    mcp: `${base}/mcp`,
    sandbox,
    oauth,
    dbPath,
    clock,
    counts() {
      const db = read();
      try {
        return Object.fromEntries(
          TABLES.map((t) => [
            t,
            Number((db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n),
          ]),
        );
      } finally {
        db.close();
      }
    },
    raw() {
      const db = read();
      try {
        return TABLES.map((t) => JSON.stringify(db.prepare(`SELECT * FROM ${t}`).all())).join("\n");
      } finally {
        db.close();
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await oauth?.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Captures everything written to stderr (where log() writes) until stop() is called. */
export function captureStderr(): { text: () => string; stop: () => void } {
  const original = process.stderr.write.bind(process.stderr);
  let captured = "";
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  return {
    text: () => captured,
    stop: () => {
      process.stderr.write = original;
    },
  };
}
