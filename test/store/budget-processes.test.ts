import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { maxInWindow, recordArrivals } from "./budget-contract.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "./postgres-support.js";

/**
 * Three built servers, spawned as three hosts would, on one store and one MOCO account whose limit is
 * 20 requests per 2 minutes: together they send MOCO at most 20, and every call past the budget is
 * refused by the budget, not by MOCO with a 429.
 */
const BIN = new URL("../../dist/index.js", import.meta.url).pathname;
const KEY = "processes-key-4e2b9d7c1a3f";
const LIMIT = 20;
const skipPostgres = await skipReason();
const dir = mkdtempSync(join(tmpdir(), "budget-processes-"));
const schema = randomSchema();
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (skipPostgres === undefined) await dropSchema(schema);
});

const clients: Client[] = [];
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await sandbox?.close();
});

async function spawnServer(store: string, baseUrl: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      MOCO_API_KEY: KEY,
      MOCO_BASE_URL: baseUrl,
      MOCO_STORE: store,
      MOCO_RATE_LIMIT: String(LIMIT),
    },
    stderr: "ignore",
  });
  const client = new Client({ name: "budget-processes", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function threeServers(store: string) {
  sandbox = await startSandbox({ apiKey: KEY, rateLimit: { limit: LIMIT, windowMs: 120_000 } });
  const arrivals = recordArrivals(sandbox);
  const servers = await Promise.all([0, 1, 2].map(() => spawnServer(store, (sandbox as Sandbox).url)));
  const ids = sandbox.store.deals.slice(0, 15).map((d) => d.id);
  const results = await Promise.all(
    servers.flatMap((server) =>
      ids.map(
        async (id) => (await server.callTool({ name: "get_lead", arguments: { id } })) as CallToolResult,
      ),
    ),
  );
  const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");
  const answered = results.filter((r) => !r.isError).length;
  const refused = results.filter((r) => r.isError);
  for (const r of refused) expect(text(r)).toMatch(/rate budget is exhausted/);
  expect(sandbox.stats.rateLimited).toBe(0);
  expect(arrivals.length).toBeLessThanOrEqual(LIMIT);
  expect(answered).toBeGreaterThanOrEqual(LIMIT / 2);
  console.log(
    `${store.startsWith("postgres") ? "PostgreSQL" : "SQLite file"}: 3 processes, ${results.length} get_lead calls, ${arrivals.length} requests reached MOCO (at most ${maxInWindow(arrivals, 120_000)} in its 2-minute window, limit ${LIMIT}), ${sandbox.stats.rateLimited} × 429, ${answered} answered, ${refused.length} refused by the budget`,
  );
}

describe("three server processes sharing one MOCO account", () => {
  it("keep to its limit together through one SQLite file", async () => {
    await threeServers(join(dir, "store.sqlite"));
  }, 60_000);

  it.skipIf(skipPostgres !== undefined)(
    "keep to its limit together through PostgreSQL",
    async () => {
      await threeServers(storeUrl(schema));
    },
    60_000,
  );
});
