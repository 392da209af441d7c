import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Lead } from "../../../src/moco/schemas.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { openStore, resolveStoreSetting, scopeKey } from "../../../src/store/index.js";
import type { LeadStore, StoreLocation } from "../../../src/store/types.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "../../store/postgres-support.js";
import { apiLeads } from "../../support/mirror-helpers.js";

/**
 * Two built servers, spawned as two hosts would, on one store and one MOCO account: the first starts
 * the first full sync and is killed (SIGKILL) part-way; the second, asked meanwhile, waits until the
 * dead one's lease runs out (2 s here), takes the sync over from the pages already staged, answers,
 * and its mirror ends equal to MOCO. The account is slow enough (250 ms a page) that the sync takes
 * seconds.
 */
const BIN = new URL("../../../dist/index.js", import.meta.url).pathname;
const KEY = "takeover-key-5d8e1f3a9c27";
const LEADS = 1500;
const PAGES = LEADS / 100;
const skipPostgres = await skipReason();
const dir = mkdtempSync(join(tmpdir(), "sync-takeover-"));
const schema = randomSchema();
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (skipPostgres === undefined) await dropSchema(schema);
});

interface Spawned {
  client: Client;
  pid: number;
  stderr: () => string;
}

const clients: Client[] = [];
const stores: LeadStore[] = [];
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  for (const s of stores.splice(0)) await s.close();
  await sandbox?.close();
});

async function spawnServer(
  store: string,
  baseUrl: string,
  env: Record<string, string> = {},
): Promise<Spawned> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      MOCO_API_KEY: KEY,
      MOCO_BASE_URL: baseUrl,
      MOCO_STORE: store,
      MOCO_STORE_LEASE_SECONDS: "2",
      MOCO_LOG_LEVEL: "debug",
      ...env,
    },
    stderr: "pipe",
  });
  let log = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  const client = new Client({ name: "sync-takeover", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return { client, pid: transport.pid as number, stderr: () => log };
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");
const stamp = (l: Pick<Lead, "id" | "updated_at">) => `${l.id} ${l.updated_at}`;

/** A call that needs the whole list (open leads): served from the mirror, so it syncs first. */
const listOpen = (server: Spawned) =>
  server.client.callTool({ name: "list_leads", arguments: { status: "open" } }) as Promise<CallToolResult>;

interface Run {
  store: string;
  location: StoreLocation;
  /** The second process's MOCO_STORE_ANSWER_SECONDS (default its own, 25). */
  answerSeconds?: number;
}

/**
 * The first process syncs and is killed once 3 of 15 pages are staged; the second is asked once while
 * the first still syncs (it waits for its lease) and once after the kill. Returns the second's answers.
 */
async function killMidSync(run: Run): Promise<CallToolResult[]> {
  sandbox = await startSandbox({
    apiKey: KEY,
    leads: LEADS,
    faults: [{ kind: "slow", method: "GET", path: "/deals", delayMs: 250, times: Number.POSITIVE_INFINITY }],
  });
  const view = await openStore(run.location);
  stores.push(view);
  expect(view.available, view.problem).toBe(true);
  const scope = scopeKey(sandbox.url, KEY);
  const answerEnv: Record<string, string> =
    run.answerSeconds === undefined ? {} : { MOCO_STORE_ANSWER_SECONDS: String(run.answerSeconds) };
  const [a, b] = await Promise.all([
    spawnServer(run.store, sandbox.url),
    spawnServer(run.store, sandbox.url, answerEnv),
  ]);
  const staged = async () => (await view.stagedScan(scope))?.pages ?? 0;

  const first = listOpen(a).then(
    () => "answered",
    () => "cut off",
  );
  await expect.poll(staged, { timeout: 30_000, interval: 25 }).toBeGreaterThanOrEqual(1);
  const waiting = listOpen(b);
  // Mid-sync: some pages staged, most still to read.
  await expect.poll(staged, { timeout: 30_000, interval: 25 }).toBeGreaterThanOrEqual(3);
  process.kill(a.pid, "SIGKILL");
  const killed = Date.now();
  const stagedAtKill = await staged();
  expect(await first).toBe("cut off");
  expect(stagedAtKill).toBeLessThan(PAGES);
  const after = listOpen(b);
  const answers = await Promise.all([waiting, after]);
  const answeredMs = Date.now() - killed;
  for (const answer of answers) {
    expect(answer.isError, `${text(answer)}\n${b.stderr()}`).toBeFalsy();
    expect(text(answer)).not.toMatch(/fault on MOCO's side/);
  }

  // The takeover committed (also when the calls answered first, INCOMPLETE): MOCO's leads, all of them.
  await expect
    .poll(async () => (await view.getScope(scope))?.syncedAt ?? null, { timeout: 60_000 })
    .not.toBeNull();
  expect(b.stderr()).toMatch(/this instance takes it over/);
  expect(await view.stagedScan(scope)).toBeUndefined();
  const stored = (await view.loadLeads(scope, { limit: 100_000 })).map((l) => JSON.parse(l.body) as Lead);
  const moco = apiLeads(sandbox);
  expect(stored.map(stamp)).toEqual(moco.map(stamp));
  expect(stored).toEqual(moco);

  // One sync at a time, and the takeover went on from the staged pages: in arrival order the pages
  // read never go back, and only the page the kill cut off was read twice.
  const pages = sandbox.requests
    .filter((r) => r.method === "GET" && r.path === "/deals" && new URLSearchParams(r.query).has("page"))
    .map((r) => Number(new URLSearchParams(r.query).get("page")));
  expect(pages).toEqual([...pages].sort((x, y) => x - y));
  expect(new Set(pages).size).toBe(PAGES);
  expect(pages.length).toBeLessThanOrEqual(PAGES + 1);
  const how = answers.map((r) => (/INCOMPLETE/.test(text(r)) ? "INCOMPLETE" : "complete")).join(", ");
  console.log(
    `${run.store.startsWith("postgres") ? "PostgreSQL" : "SQLite file"}${run.answerSeconds ? `, answer within ${run.answerSeconds} s` : ""}: killed at ${stagedAtKill}/${PAGES} pages staged; the second process answered both calls ${answeredMs} ms later (${how}), ${pages.length} page requests in all, ${stored.length} leads equal to MOCO's`,
  );
  return answers;
}

const sqlite = (name: string): Run => {
  const path = join(dir, name);
  return { store: path, location: { kind: "file", path } };
};

describe("two server processes on one store, the syncing one killed mid-sync", () => {
  it("on one SQLite file: the other takes the sync over after the lease, answers its calls, and ends equal to MOCO", async () => {
    const answers = await killMidSync(sqlite("complete.sqlite"));
    for (const answer of answers) expect(text(answer)).not.toMatch(/INCOMPLETE/);
  }, 90_000);

  it("on one SQLite file, calls that cannot wait: answered with the leads read so far, and the takeover still completes the mirror", async () => {
    const answers = await killMidSync({ ...sqlite("deadline.sqlite"), answerSeconds: 1 });
    for (const answer of answers) expect(text(answer)).toMatch(/INCOMPLETE/);
  }, 90_000);

  it.skipIf(skipPostgres !== undefined)(
    "on PostgreSQL: the other takes the sync over after the lease, answers its calls, and ends equal to MOCO",
    async () => {
      const url = storeUrl(schema);
      const answers = await killMidSync({ store: url, location: resolveStoreSetting(url) as StoreLocation });
      for (const answer of answers) expect(text(answer)).not.toMatch(/INCOMPLETE/);
    },
    90_000,
  );
});
