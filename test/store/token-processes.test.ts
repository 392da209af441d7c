import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { dropSchema, randomSchema, skipReason, sql, storeUrl } from "./postgres-support.js";

/**
 * A confirm token confirms one write across instances sharing a store: two built servers, spawned as
 * two hosts would (each with its own process memory), on one SQLite file or one PostgreSQL schema,
 * each handed the same token at the same moment. The sandbox holds the first write back for a while,
 * so the second server reads the lead as previewed and only the store can tell it the token is spent.
 */
const BIN = new URL("../../dist/index.js", import.meta.url).pathname;
const KEY = "tokens-key-8d41c7e2a9b5";
const STALL_MS = 2000;
const skipPostgres = await skipReason();
const dir = mkdtempSync(join(tmpdir(), "token-processes-"));
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
    },
    stderr: "ignore",
  });
  // No elicitation capability: writes are confirmed by token, as for every stateless HTTP client.
  const client = new Client({ name: "token-processes", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function twoServers(store: string) {
  const s = await startSandbox({ apiKey: KEY });
  sandbox = s;
  const servers = await Promise.all([spawnServer(store, s.url), spawnServer(store, s.url)]);
  const call = async (server: Client, name: string, args: Record<string, unknown>) =>
    (await server.callTool({ name, arguments: args })) as CallToolResult;
  return { sandbox: s, servers, call };
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");
const sc = (r: CallToolResult) => r.structuredContent as Record<string, unknown>;
const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");
const requests = (s: Sandbox, method: string, paths: string[]) =>
  s.requests.filter((q) => q.method === method && paths.includes(q.path));

/** The token hashes the store keeps. */
async function spentHashes(store: string): Promise<string[]> {
  if (store.startsWith("postgres")) {
    const rows = await sql<{ token_hash: string }>(`SELECT token_hash FROM "${schema}".spent_tokens`);
    return rows.map((r) => r.token_hash);
  }
  const db = new DatabaseSync(store, { readOnly: true });
  try {
    return (db.prepare("SELECT token_hash FROM spent_tokens").all() as { token_hash: string }[]).map(
      (r) => r.token_hash,
    );
  } finally {
    db.close();
  }
}

/** Exactly one of two answers wrote; the other is refused because the token was spent. */
function oneWroteOneRefused(results: CallToolResult[]) {
  const refused = results.filter((r) => r.isError);
  expect(results.filter((r) => !r.isError)).toHaveLength(1);
  expect(refused).toHaveLength(1);
  expect(text(refused[0] as CallToolResult)).toMatch(/already used/);
}

async function deleteAtOnce(store: string) {
  const { sandbox: s, servers, call } = await twoServers(store);
  const [a, b] = servers as [Client, Client];
  const lead = s.store.deals.find((d) => d.status === "lost");
  if (!lead) throw new Error("the seed has no lost lead");
  const token = sc(await call(a, "delete_lead", { id: lead.id })).confirm_token as string;
  expect(token).toBeTruthy();
  s.faults.push({ kind: "slow", method: "DELETE", path: `/deals/${lead.id}`, delayMs: STALL_MS, times: 2 });
  const results = await Promise.all(
    [a, b].map((server) => call(server, "delete_lead", { id: lead.id, confirm_token: token })),
  );
  oneWroteOneRefused(results);
  expect(requests(s, "DELETE", [`/deals/${lead.id}`])).toHaveLength(1);
  expect(s.store.deals.some((d) => d.id === lead.id)).toBe(false);
  // The store keeps the token's hash, never the token.
  const hashes = await spentHashes(store);
  expect(hashes).toContain(sha256(token));
  expect(hashes).not.toContain(token);
}

async function updateAtOnce(store: string) {
  const { sandbox: s, servers, call } = await twoServers(store);
  const [a, b] = servers as [Client, Client];
  const leads = s.store.deals.filter((d) => d.status === "pending").slice(0, 2);
  const paths = leads.map((l) => `/deals/${l.id}`);
  const args = { ids: leads.map((l) => l.id), changes: { reminder_date: "2031-07-07" } };
  const token = sc(await call(a, "update_leads", { ...args, dry_run: true })).confirm_token as string;
  expect(token).toBeTruthy();
  s.faults.push({ kind: "slow", method: "PUT", path: /^\/deals\/\d+$/, delayMs: STALL_MS, times: 4 });
  const results = await Promise.all(
    [a, b].map((server) => call(server, "update_leads", { ...args, confirm_token: token })),
  );
  oneWroteOneRefused(results);
  // Each lead written once.
  expect(requests(s, "PUT", paths).map((q) => q.path)).toEqual(paths);
  for (const l of leads) expect(s.store.deals.find((d) => d.id === l.id)?.reminder_date).toBe("2031-07-07");
}

const SQLITE = "one SQLite file";
const POSTGRES = "PostgreSQL";
let files = 0;
const kinds = [
  { name: SQLITE, store: () => join(dir, `store-${++files}.sqlite`), skip: false },
  { name: POSTGRES, store: () => storeUrl(schema), skip: skipPostgres !== undefined },
];

for (const kind of kinds) {
  describe.skipIf(kind.skip)(`two server processes sharing ${kind.name}`, () => {
    it("of two delete_lead calls with one confirm_token at once, one deletes and the other is refused as used", async () => {
      await deleteAtOnce(kind.store());
    }, 60_000);

    it("of two update_leads runs with one confirm_token at once, one writes each lead once and the other is refused as used", async () => {
      await updateAtOnce(kind.store());
    }, 60_000);
  });
}
