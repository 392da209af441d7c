// A team server as deployed: built HTTP instances (dist/index.js) on one PostgreSQL store, in front of a
// sandbox (in this process, no rate limit: the figures are the server's, not MOCO's budget).
//
//   npm run bench:instances            (builds first)
//   node --import tsx bench/instances.ts [--quick] [--seconds 5] [--sizes 2000,20000]
//
// 1. Throughput: calls/s and p99 of list_leads answered from the mirror, 16 and 100 concurrent SDK
//    clients spread over 1 and then 3 instances; the ratios 3 : 1.
// 2. pipeline_summary from the PostgreSQL mirror against the SQLite one, same sandbox, same leads:
//    the first call (a full sync and its commit) and warm calls, per size.
// 3. Webhook to visible change: a signed delivery POSTed to one instance, then list_leads polled on that
//    instance and on another until the change shows (the mirror's freshness window is 60 s, so only the
//    webhook can make it visible in time).
// Needs PostgreSQL (MOCO_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test); each run
// uses schemas of its own and drops them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type Sandbox, startSandbox } from "../src/sandbox/index.js";
import { dropSchema, randomSchema, storeUrl, unreachable } from "../test/store/postgres-support.js";
import {
  connectTo,
  type Instance,
  startInstances,
  stopInstances,
  textOf,
} from "../test/support/instances.js";
import { post, SECRET } from "../test/support/webhook-helpers.js";
import { cpuTicks, machine, median, percentile, sleep } from "./util.js";

const KEY = "bench-instances-key-3e9a71c4";
const TODAY = "2026-03-04";
const schemas: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "bench-instances-"));

/** Every instance: this account, a mirror fresh for 60 s, the sandbox's date, no budget to speak of. */
function env(sandbox: Sandbox, store: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MOCO_API_KEY: KEY,
    MOCO_BASE_URL: sandbox.url,
    MOCO_STORE: store,
    MOCO_RATE_LIMIT: "100000",
    MOCO_STORE_FRESH_SECONDS: "60",
    MOCO_TODAY: TODAY,
    // The access log is part of each call's cost, as in a deployment.
    MOCO_LOG_LEVEL: "info",
    // 100 clients on one address (this process) open more sockets than the default 128 per address.
    MCP_HTTP_MAX_CONNECTIONS: "2048",
    MCP_HTTP_MAX_CONNECTIONS_PER_ADDRESS: "1024",
    HOME: dir,
    ...extra,
  };
}

function pgStore(): string {
  const schema = randomSchema("moco_bench");
  schemas.push(schema);
  return storeUrl(schema);
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (r.isError) throw new Error(`${name}: ${textOf(r).slice(0, 300)}`);
  return r;
}

const MIRROR_READS: Record<string, unknown>[] = [
  { status: "open", sort: "money", per_page: 10 },
  { query: "Zürich", per_page: 10 },
  { sort: "updated_at", per_page: 10, page: 2 },
];

interface Load {
  rps: number;
  /** CPU the instances spent per call (user + system, all instances), ms. */
  cpuMs: number;
  p50: number;
  p99: number;
  calls: number;
  errors: number;
}

/** `clients` SDK clients spread round-robin over `instances`, each calling list_leads in a loop. */
async function load(
  instances: Instance[],
  clients: number,
  warmMs: number,
  measureMs: number,
): Promise<Load> {
  const connected = await Promise.all(
    Array.from({ length: clients }, (_, i) => connectTo(instances[i % instances.length] as Instance)),
  );
  const latencies: number[] = [];
  let errors = 0;
  const cpu = () => instances.reduce((sum, i) => sum + cpuTicks(i.child.pid as number), 0);
  let cpuFrom = 0;
  const cpuMark = setTimeout(() => {
    cpuFrom = cpu();
  }, warmMs);
  const start = performance.now();
  const from = start + warmMs;
  const end = from + measureMs;
  await Promise.all(
    connected.map(async (client, c) => {
      for (let i = 0; performance.now() < end; i++) {
        const t0 = performance.now();
        let failed = false;
        try {
          const r = await client.callTool({ name: "list_leads", arguments: MIRROR_READS[(c + i) % 3] });
          failed = r.isError === true;
        } catch {
          failed = true;
        }
        const t1 = performance.now();
        // Calls that end inside the window count: with 100 clients a call may outlast a short window.
        if (t1 < from || t1 > end) continue;
        latencies.push(t1 - t0);
        if (failed) errors++;
      }
    }),
  );
  clearTimeout(cpuMark);
  const cpuMs = ((cpu() - cpuFrom) * 10) / Math.max(1, latencies.length);
  await Promise.all(connected.map((c) => c.close()));
  return {
    rps: Math.round(latencies.length / (measureMs / 1000)),
    cpuMs,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    calls: latencies.length,
    errors,
  };
}

/** Each instance synced (or its copy loaded from the store) before anything is measured. */
async function warm(instances: Instance[]): Promise<void> {
  for (const instance of instances) {
    const client = await connectTo(instance);
    await call(client, "list_leads", MIRROR_READS[0] as Record<string, unknown>);
    await client.close();
  }
}

async function throughput(quick: boolean, seconds: number) {
  const sandbox = await startSandbox({ apiKey: KEY, leads: 2_000, today: TODAY });
  const store = pgStore();
  const results: Record<string, Load> = {};
  try {
    for (const count of [1, 3]) {
      const instances = await startInstances(count, env(sandbox, store));
      try {
        await warm(instances);
        for (const clients of [16, 100]) {
          const before = sandbox.requests.length;
          const r = await load(instances, clients, quick ? 300 : 1_000, seconds * 1000);
          results[`${count}x${clients}`] = r;
          const moco = sandbox.requests.length - before;
          console.error(
            `  ${count} instance(s), ${clients} clients: ${r.rps} calls/s, CPU ${r.cpuMs.toFixed(1)} ms/call, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.calls} calls, ${r.errors} errors, ${moco} MOCO requests`,
          );
        }
      } finally {
        await stopInstances(instances);
      }
    }
  } finally {
    await sandbox.close();
  }
  return results;
}

const COSTS: [string, string, Record<string, unknown>][] = [
  ["list_leads open, by money (mirror)", "list_leads", MIRROR_READS[0] as Record<string, unknown>],
  ['list_leads query "Zürich" (mirror)', "list_leads", MIRROR_READS[1] as Record<string, unknown>],
  ['list_leads query "a", nearly every lead matches (mirror)', "list_leads", { query: "a", per_page: 10 }],
  ["list_leads by updated_at, page 2 (mirror)", "list_leads", MIRROR_READS[2] as Record<string, unknown>],
  ["pipeline_summary (mirror)", "pipeline_summary", {}],
  ["get_lead (MOCO live)", "get_lead", { id: 0 }],
];

/** One instance, one client, one call at a time: what each call costs the instance (CPU) and takes. */
async function costs(rounds: number) {
  const sandbox = await startSandbox({ apiKey: KEY, leads: 2_000, today: TODAY });
  const [instance] = await startInstances(1, env(sandbox, pgStore()));
  const pid = instance?.child.pid as number;
  const out: { what: string; cpuMs: number; p50: number }[] = [];
  try {
    await warm([instance as Instance]);
    const client = await connectTo(instance as Instance);
    const id = sandbox.store.deals[5]?.id as number;
    for (const [what, name, args] of COSTS) {
      const times: number[] = [];
      const from = cpuTicks(pid);
      for (let i = 0; i < rounds; i++) {
        const t = performance.now();
        await call(client, name, name === "get_lead" ? { id } : args);
        times.push(performance.now() - t);
      }
      out.push({ what, cpuMs: ((cpuTicks(pid) - from) * 10) / rounds, p50: median(times) });
      console.error(
        `  ${what}: CPU ${out.at(-1)?.cpuMs.toFixed(2)} ms/call, p50 ${median(times).toFixed(1)} ms`,
      );
    }
    await client.close();
  } finally {
    await stopInstances([instance as Instance]);
    await sandbox.close();
  }
  return out;
}

interface Summary {
  firstMs: number;
  p50: number;
  p99: number;
}

/** pipeline_summary on one instance: the first call (full sync, commit), then `rounds` warm calls. */
async function summaries(client: Client, rounds: number): Promise<Summary> {
  let t = performance.now();
  await call(client, "pipeline_summary", {});
  const firstMs = performance.now() - t;
  const warmCalls: number[] = [];
  for (let i = 0; i < rounds; i++) {
    t = performance.now();
    await call(client, "pipeline_summary", {});
    warmCalls.push(performance.now() - t);
  }
  return { firstMs, p50: median(warmCalls), p99: percentile(warmCalls, 99) };
}

async function pgAgainstSqlite(sizes: number[], rounds: number) {
  const out: { leads: number; pg: Summary; sqlite: Summary }[] = [];
  for (const leads of sizes) {
    const sandbox = await startSandbox({ apiKey: KEY, leads, today: TODAY });
    // One at a time: the two never share the CPU while measured.
    const measure = async (store: string) => {
      const [instance] = await startInstances(1, env(sandbox, store));
      try {
        const client = await connectTo(instance as Instance);
        const s = await summaries(client, rounds);
        await client.close();
        return s;
      } finally {
        await stopInstances([instance as Instance]);
      }
    };
    const pg = await measure(pgStore());
    const sqlite = await measure(join(dir, `store-${leads}.sqlite`));
    await sandbox.close();
    out.push({ leads, pg, sqlite });
    console.error(
      `  ${leads} leads: PostgreSQL p50 ${pg.p50.toFixed(1)} ms, SQLite p50 ${sqlite.p50.toFixed(1)} ms`,
    );
  }
  return out;
}

/**
 * Polls the mirror on `client` until the lead changed last carries `word`; ms since `t0`. Sorting by
 * updated_at reads the mirror (never MOCO) and costs little even at 20,000 leads, unlike a query.
 */
async function visible(client: Client, word: string, t0: number, limitMs = 15_000): Promise<number> {
  while (performance.now() - t0 < limitMs) {
    const r = await call(client, "list_leads", { sort: "updated_at", per_page: 1 });
    const leads = (r.structuredContent as { leads?: { name?: string }[] } | undefined)?.leads;
    if (leads?.[0]?.name?.includes(word)) return performance.now() - t0;
    await sleep(5);
  }
  throw new Error(`"${word}" not visible within ${limitMs} ms`);
}

async function webhookLatency(leads: number, rounds: number) {
  const sandbox = await startSandbox({ apiKey: KEY, leads, today: TODAY, webhookSecret: SECRET });
  const accountUrl = new URL(sandbox.url).origin;
  const instances = await startInstances(2, env(sandbox, pgStore(), { MOCO_WEBHOOK_SECRET: SECRET }));
  const same: number[] = [];
  const other: number[] = [];
  try {
    await warm(instances);
    const [a, b] = await Promise.all(instances.map((i) => connectTo(i)));
    const hookUrl = (instances[0] as Instance).url.replace(/\/mcp$/, "/webhooks/moco");
    for (let i = 0; i < rounds; i++) {
      const deal = sandbox.store.deals[10 + i];
      if (!deal) throw new Error("no lead");
      const word = `probe${i}x${Math.random().toString(36).slice(2, 8)}`;
      sandbox.store.updateDeal(deal, { name: `Webhook ${word}` });
      const t0 = performance.now();
      const body = sandbox.store.dealJson(deal);
      const res = await post(hookUrl, { target: "Deal", event: "update", body, accountUrl });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${res.body}`);
      const [onA, onB] = await Promise.all([visible(a as Client, word, t0), visible(b as Client, word, t0)]);
      same.push(onA);
      other.push(onB);
      await sleep(100);
    }
    await Promise.all([a, b].map((c) => c?.close()));
  } finally {
    await stopInstances(instances);
    await sandbox.close();
  }
  return { same, other };
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: "boolean" }, seconds: { type: "string" }, sizes: { type: "string" } },
  });
  const quick = values.quick ?? false;
  const seconds = Number(values.seconds ?? (quick ? 1.5 : 5));
  const sizes = (values.sizes ?? (quick ? "2000" : "2000,20000")).split(",").map(Number);
  const problem = await unreachable();
  if (problem) throw new Error(`bench:instances needs PostgreSQL: ${problem}`);
  const facts = machine();
  console.error("throughput (list_leads from the mirror, 2,000 leads):");
  const t = await throughput(quick, seconds);
  console.error("cost per call (one instance, one client, 2,000 leads):");
  const c = await costs(quick ? 20 : 100);
  console.error("pipeline_summary, PostgreSQL against SQLite:");
  const s = await pgAgainstSqlite(sizes, quick ? 10 : 40);
  console.error("webhook to visible change:");
  const hooks = [];
  for (const leads of sizes) hooks.push({ leads, ...(await webhookLatency(leads, quick ? 4 : 10)) });
  const row = (clients: number) => {
    const one = t[`1x${clients}`] as Load;
    const three = t[`3x${clients}`] as Load;
    const cell = (l: Load) => `${l.rps} calls/s, p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, CPU ${ms(l.cpuMs)}/call`;
    return `| ${clients} | ${cell(one)} | ${cell(three)} | ${(three.rps / one.rps).toFixed(2)} × | ${(three.p99 / one.p99).toFixed(2)} × | ${one.errors + three.errors} |`;
  };
  const lines = [
    `Machine: ${facts.CPUs} CPUs (${facts["CPU model"]}), ${facts.Node}, load average at start ${facts["Load average at start (1/5/15 min)"]}; measured ${seconds} s per point.`,
    "",
    "| clients | 1 instance | 3 instances | calls/s 3 : 1 | p99 3 : 1 | errors |",
    "|---|---|---|---|---|---|",
    row(16),
    row(100),
    "",
    "| call (2,000 leads, one at a time) | instance CPU per call | p50 |",
    "|---|---|---|",
    ...c.map(({ what, cpuMs, p50 }) => `| ${what} | ${ms(cpuMs)} | ${ms(p50)} |`),
    "",
    "| leads | first call PG / SQLite | warm p50 PG / SQLite | warm p99 PG / SQLite | warm p50 PG : SQLite |",
    "|---|---|---|---|---|",
    ...s.map(
      ({ leads, pg, sqlite }) =>
        `| ${leads.toLocaleString("en")} | ${ms(pg.firstMs)} / ${ms(sqlite.firstMs)} | ${ms(pg.p50)} / ${ms(sqlite.p50)} | ${ms(pg.p99)} / ${ms(sqlite.p99)} | ${(pg.p50 / sqlite.p50).toFixed(2)} × |`,
    ),
    "",
    "| leads | webhook to visible, instance that took it: median / max | another instance: median / max | deliveries |",
    "|---|---|---|---|",
    ...hooks.map(
      (w) =>
        `| ${w.leads.toLocaleString("en")} | ${ms(median(w.same))} / ${ms(Math.max(...w.same))} | ${ms(median(w.other))} / ${ms(Math.max(...w.other))} | ${w.same.length} |`,
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
  for (const s of schemas) await dropSchema(s).catch(() => undefined);
}
