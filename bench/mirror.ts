// The lead mirror on a large account: first sync under MOCO's rate budget, warm reads, a delta after
// edits made behind the server's back, history queries, memory and file size, side by side with
// today's live scan (20-page cap) in the same run. The sandbox enforces the budget (429 like MOCO) and
// the client keeps to it. Prints one table per plan; not part of `npm test`.
//
//   node --import tsx bench/mirror.ts                       20,000 leads, both plans (standard takes > 2 min)
//   node --import tsx bench/mirror.ts --plan unlimited      only the 1200/120 s plan
//   node --import tsx bench/mirror.ts --leads 5000
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { LeadMirror } from "../src/leads/mirror/index.js";
import { MocoClient } from "../src/moco/client.js";
import { RateLimiter } from "../src/moco/rate-limit.js";
import { scanLeads } from "../src/moco/scan.js";
import type { Lead } from "../src/moco/schemas.js";
import { type Sandbox, startSandbox } from "../src/sandbox/index.js";
import { openStore } from "../src/store/index.js";
import { fmtMb, fmtMs, machine, median, percentile } from "./util.js";

const KEY = "bench-mirror-key-4b7d2e9c";
const WINDOW_MS = 120_000;
const PLANS = { standard: 120, unlimited: 1200 } as const;
type Plan = keyof typeof PLANS;

const { values: flags } = parseArgs({
  options: {
    plan: { type: "string", default: "both" },
    leads: { type: "string", default: "20000" },
    child: { type: "string" },
  },
});
const progress = (message: string) => process.stderr.write(`bench-mirror: ${message}\n`);

function client(sandbox: Sandbox, limit: number): MocoClient {
  return new MocoClient({
    baseUrl: sandbox.url,
    apiKey: KEY,
    userAgent: "moco-leads-mcp-bench",
    requestTimeoutMs: 15_000,
    budget: new RateLimiter({ limit, windowMs: WINDOW_MS }),
  });
}

const dealGets = (sandbox: Sandbox) =>
  sandbox.requests.filter((r) => r.method === "GET" && r.path === "/deals").length;

/** 100 edits another MOCO user makes: 80 updates, 10 creations, 10 deletions, spread over the account. */
function editBehindTheBack(sandbox: Sandbox, seed = 7): void {
  const { store } = sandbox;
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const pick = () => store.deals[Math.floor(next() * store.deals.length)];
  for (let i = 0; i < 80; i++) {
    const deal = pick();
    if (deal) store.updateDeal(deal, { money: Math.round(next() * 100_000), info: `bench edit ${i}` });
  }
  for (let i = 0; i < 10; i++) {
    store.createDeal({
      name: `Bench lead ${i}`,
      currency: "CHF",
      money: 1000 + i,
      reminder_date: store.today,
      user_id: store.profileUserId,
      deal_category_id: store.categories[0]?.id,
    });
  }
  for (let i = 0; i < 10; i++) {
    const deal = pick();
    if (deal) store.deleteDeal(deal);
  }
}

/** A pipeline total like pipeline_summary's: weighted value per currency of pending leads. */
function weighted(leads: readonly Lead[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const l of leads) {
    if (l.status !== "pending") continue;
    totals.set(l.currency, (totals.get(l.currency) ?? 0) + (l.money * (l.category?.probability ?? 0)) / 100);
  }
  return totals;
}

function fileBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

interface Row {
  what: string;
  value: string;
  note?: string;
}

async function runPlan(plan: Plan, leads: number): Promise<Row[]> {
  const limit = PLANS[plan];
  const rows: Row[] = [];
  const sandbox = await startSandbox({ apiKey: KEY, leads, rateLimit: { limit, windowMs: WINDOW_MS } });
  const dir = mkdtempSync(join(tmpdir(), "bench-mirror-"));
  const path = join(dir, "store.sqlite");
  const moco = client(sandbox, limit);
  const store = await openStore({ kind: "file", path });
  const mirror = new LeadMirror({
    store,
    moco,
    freshMs: 30_000,
    pageWaitMs: 600_000,
  });
  try {
    progress(`${plan}: live scan with today's 20-page cap`);
    let t = performance.now();
    const live = await scanLeads(moco, {}, { maxPages: 20, deadline: Date.now() + 600_000 });
    rows.push({
      what: "live scan today (page cap 20)",
      value: `${live.complete ? "complete" : "INCOMPLETE"} ${live.scanned} of ${live.total}, ${live.pages} requests`,
      note: fmtMs(performance.now() - t, 0),
    });
    // Let the live scan's requests leave the window, so the first sync starts on a full budget.
    if (plan === "standard") {
      progress("standard: waiting one window for the budget to refill");
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 1000));
    }
    progress(`${plan}: first sync of ${leads} leads`);
    let before = dealGets(sandbox);
    t = performance.now();
    let lastLog = 0;
    // The whole sync, not a read: a read answers within its bound (25 s), before the sync is done on
    // the standard plan (bench/big-account.ts measures that).
    await mirror.sync({
      onProgress: (done, total) => {
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          progress(`  ${done} of ${total ?? "?"} requests`);
        }
      },
    });
    const firstMs = performance.now() - t;
    rows.push({
      what: "first sync",
      value: `${dealGets(sandbox) - before} requests (⌈N/100⌉ = ${Math.ceil(leads / 100)})`,
      note: `${(firstMs / 1000).toFixed(1)} s wall, ${mirror.status().leads} leads, 429s seen: ${sandbox.stats.rateLimited}`,
    });

    const warm: number[] = [];
    const pipeline: number[] = [];
    before = dealGets(sandbox);
    for (let i = 0; i < 50; i++) {
      t = performance.now();
      const read = await mirror.read();
      warm.push(performance.now() - t);
      weighted(read.leads);
      pipeline.push(performance.now() - t);
    }
    rows.push({
      what: "warm read (within 30 s window)",
      value: `p50 ${fmtMs(median(warm))}, p99 ${fmtMs(percentile(warm, 99))}`,
      note: `${dealGets(sandbox) - before} requests in 50 reads`,
    });
    rows.push({
      what: "warm read + weighted pipeline per currency",
      value: `p50 ${fmtMs(median(pipeline))}, p99 ${fmtMs(percentile(pipeline, 99))}`,
    });

    const since = new Date().toISOString();
    editBehindTheBack(sandbox);
    progress(`${plan}: delta after 100 edits`);
    before = dealGets(sandbox);
    t = performance.now();
    const delta = await mirror.sync();
    rows.push({
      what: "delta after 100 edits (80 upd, 10 new, 10 del)",
      value: `${dealGets(sandbox) - before} requests, ${fmtMs(performance.now() - t, 0)}`,
      note: `found ${delta.updated} updated, ${delta.created} created, ${delta.deleted} deleted`,
    });
    before = dealGets(sandbox);
    t = performance.now();
    const none = await mirror.sync();
    rows.push({
      what: "delta with no changes",
      value: `${dealGets(sandbox) - before} requests, ${fmtMs(performance.now() - t, 0)}`,
      note: `${none.updated + none.created + none.deleted} changes`,
    });
    const history: number[] = [];
    let count = 0;
    for (let i = 0; i < 20; i++) {
      t = performance.now();
      count = (await mirror.changes({ since, limit: 500 })).changes.length;
      history.push(performance.now() - t);
    }
    rows.push({
      what: "history query since before the edits",
      value: `p50 ${fmtMs(median(history))}`,
      note: `${count} changes`,
    });
    t = performance.now();
    const past = await mirror.stateAt(since);
    rows.push({
      what: "pipeline as it stood before the edits (stateAt)",
      value: fmtMs(performance.now() - t),
      note: past.ok ? `${past.leads.length} leads` : past.message,
    });
    rows.push({ what: "store file (db + wal)", value: fmtMb(fileBytes(dir) / 1024 / 1024) });
    if (plan === "unlimited") {
      // RSS of a fresh process varies by several MB from run to run: the median of three.
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await childRss(path, sandbox.url));
      runs.sort((a, b) => a.loaded - a.empty - (b.loaded - b.empty));
      const rss = runs[1] as (typeof runs)[number];
      rows.push({
        what: "RSS: empty mirror → 20k mirror loaded",
        value: `${fmtMb(rss.empty)} → ${fmtMb(rss.loaded)} (+${fmtMb(rss.loaded - rss.empty)})`,
        note: `median of 3 fresh processes (deltas ${runs.map((r) => (r.loaded - r.empty).toFixed(1)).join(", ")} MB); JS heap +${fmtMb(rss.heap)}; load from file ${fmtMs(rss.loadMs, 0)}`,
      });
      const synced = await syncRss(leads, dir);
      rows.push({
        what: "RSS: empty mirror → after a first sync in the same process",
        value: `${fmtMb(synced.empty)} → ${fmtMb(synced.loaded)} (+${fmtMb(synced.loaded - synced.empty)})`,
        note: `sandbox in a process of its own; JS heap +${fmtMb(synced.heap)}; sync ${fmtMs(synced.loadMs, 0)}`,
      });
    }
  } finally {
    mirror.close();
    await store.close();
    await moco.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** RSS of a process that only opens the store and loads the mirror (no sandbox in it). */
function childRss(
  path: string,
  url: string,
  mode: "load" | "sync" = "load",
): Promise<{ empty: number; loaded: number; loadMs: number; heap: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--expose-gc",
        ...(process.env.BENCH_CHILD_FLAGS ?? "").split(" ").filter(Boolean),
        "--import",
        "tsx",
        "bench/mirror.ts",
        "--child",
        JSON.stringify({ path, url, mode }),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += String(chunk);
    });
    child.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`)),
    );
  });
}

/** A first sync in a process that holds only the mirror, against a sandbox CLI process. */
async function syncRss(leads: number, dir: string) {
  const sandbox = spawn(
    process.execPath,
    ["--import", "tsx", "src/sandbox/cli.ts", "--leads", String(leads), "--api-key", KEY],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  try {
    let line = "";
    for await (const chunk of sandbox.stderr) {
      line += String(chunk);
      if (line.includes("\n")) break;
    }
    const url = /url=(\S+)/.exec(line)?.[1];
    if (!url) throw new Error(`sandbox CLI said: ${line}`);
    return await childRss(join(dir, "sync-probe.sqlite"), url, "sync");
  } finally {
    sandbox.kill("SIGTERM");
  }
}

async function child(arg: string): Promise<void> {
  const { path, url, mode } = JSON.parse(arg) as { path: string; url: string; mode: "load" | "sync" };
  const gc = (globalThis as { gc?: () => void }).gc;
  const mb = (n: number) => n / 1024 / 1024;
  const rss = () => {
    gc?.();
    return mb(process.memoryUsage().rss);
  };
  const heap = () => mb(process.memoryUsage().heapUsed);
  const store = await openStore({ kind: "file", path });
  const moco = new MocoClient({
    baseUrl: url,
    apiKey: KEY,
    userAgent: "bench",
    requestTimeoutMs: 1000,
    budget: new RateLimiter({ limit: PLANS.unlimited, windowMs: WINDOW_MS }),
  });
  const mirror = new LeadMirror({ store, moco });
  mirror.status();
  await store.describe();
  const empty = rss();
  const heapEmpty = heap();
  const t = performance.now();
  // "load": the mirror a parent synced, read from the file; "sync": a first sync from the sandbox.
  const read = await mirror.read({ maxAgeMs: mode === "load" ? Number.POSITIVE_INFINITY : 0 });
  const loadMs = performance.now() - t;
  if (read.leads.length === 0) throw new Error("child: the mirror is empty");
  const loaded = rss();
  const heapLoaded = heap();
  process.stdout.write(JSON.stringify({ empty, loaded, loadMs, heap: heapLoaded - heapEmpty }));
  await store.close();
  await moco.close();
}

function table(plan: Plan, rows: Row[]): string {
  const lines = [`### ${plan} plan (${PLANS[plan]} requests / 120 s, enforced by sandbox and client)`, ""];
  lines.push("| measure | result | note |", "|---|---|---|");
  for (const r of rows) lines.push(`| ${r.what} | ${r.value} | ${r.note ?? ""} |`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  if (flags.child) return child(flags.child);
  const leads = Number(flags.leads);
  const plans: Plan[] = flags.plan === "both" ? ["unlimited", "standard"] : [flags.plan as Plan];
  if (!plans.every((p) => p in PLANS)) throw new Error("--plan must be standard, unlimited or both");
  const out = [`## Lead mirror, ${leads.toLocaleString("en")} leads`, ""];
  out.push(...Object.entries(machine()).map(([k, v]) => `- ${k}: ${v}`), "");
  for (const plan of plans) out.push(table(plan, await runPlan(plan, leads)), "");
  process.stdout.write(`${out.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-mirror: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
