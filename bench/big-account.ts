// A cold 20,000-lead account on MOCO's standard plan (120 requests / 120 s), the lead mirror's first
// sync: how soon the first call answers (goal ≤ 25 s: below common client timeouts), how long until the
// mirror is complete (goal ≤ 5 min), and the largest share of MOCO's budget the sync took in any 120 s
// window (goal ≤ 75 %: interactive calls and other integrations on the same key keep the rest). While
// the sync runs, an interactive call every 15 s (GET /deals/{id}) shows whether they are starved.
// The sandbox enforces the limit (429 like MOCO); the client keeps to it. Takes about 4-5 minutes.
//
//   node --import tsx bench/big-account.ts                 20,000 leads
//   node --import tsx bench/big-account.ts --leads 5000
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { scanOfMirror } from "../src/leads/find.js";
import { LeadMirror } from "../src/leads/mirror/index.js";
import { apiPath, MocoClient } from "../src/moco/client.js";
import { RateLimiter } from "../src/moco/rate-limit.js";
import { scanNote } from "../src/replies/scan-note.js";
import { startSandbox } from "../src/sandbox/index.js";
import { openStore } from "../src/store/index.js";
import { machine, median } from "./util.js";

const KEY = "bench-big-account-key-71c3";
const LIMIT = 120;
const WINDOW_MS = 120_000;
const { values: flags } = parseArgs({ options: { leads: { type: "string", default: "20000" } } });
const leads = Number(flags.leads);
const progress = (message: string) => process.stderr.write(`bench-big-account: ${message}\n`);

/** The most of `times` (ms, ascending) in any window of `windowMs`. */
function busiest(times: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while ((times[j] as number) - (times[i] as number) >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

async function main() {
  const sandbox = await startSandbox({
    apiKey: KEY,
    leads,
    rateLimit: { limit: LIMIT, windowMs: WINDOW_MS },
  });
  // When each request reached the sandbox, as MOCO's own window counts it.
  const arrived: number[] = [];
  const push = sandbox.requests.push.bind(sandbox.requests);
  sandbox.requests.push = (...items) => {
    for (const _ of items) arrived.push(performance.now());
    return push(...items);
  };
  const moco = new MocoClient({
    baseUrl: sandbox.url,
    apiKey: KEY,
    userAgent: "moco-leads-mcp-bench",
    requestTimeoutMs: 15_000,
    budget: new RateLimiter({ limit: LIMIT, windowMs: WINDOW_MS }),
  });
  const dir = mkdtempSync(join(tmpdir(), "bench-big-account-"));
  const store = await openStore({ kind: "file", path: join(dir, "store.sqlite") });
  // The defaults under test: answerWithinMs 25 s, syncShare 0.75.
  const mirror = new LeadMirror({ store, moco, pageWaitMs: 600_000 });
  const ids = sandbox.store.deals.map((d) => d.id);
  const interactive: { ms: number; ok: boolean; at: number }[] = [];
  const own = new Set<number>(); // indexes of the interactive requests in sandbox.requests
  try {
    progress(`cold account, ${leads} leads, ${LIMIT} requests / ${WINDOW_MS / 1000} s`);
    const t0 = performance.now();
    const first = await mirror.read();
    const firstMs = performance.now() - t0;
    const note = scanNote(scanOfMirror(first, [...first.leads]), first.leads.length, 20, first.asOf);
    progress(`first answer after ${(firstMs / 1000).toFixed(1)} s: ${note}`);
    let i = 0;
    const ask = setInterval(async () => {
      const id = ids[(i++ * 997) % ids.length] as number;
      const t = performance.now();
      own.add(sandbox.requests.length);
      try {
        await moco.get(apiPath("deals", id), { deadline: Date.now() + 60_000 });
        interactive.push({ ms: performance.now() - t, ok: true, at: t - t0 });
      } catch {
        interactive.push({ ms: performance.now() - t, ok: false, at: t - t0 });
      }
    }, 15_000);
    let lastLog = 0;
    while (!mirror.status().syncedAt) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        progress(`  ${((performance.now() - t0) / 1000).toFixed(0)} s: ${sandbox.requests.length} requests`);
      }
    }
    const completeMs = performance.now() - t0;
    clearInterval(ask);
    const done = await mirror.read();
    const syncTimes = arrived.filter((_, index) => !own.has(index));
    const most = busiest(syncTimes, WINDOW_MS);
    const result = {
      machine: machine(),
      leads,
      firstAnswerMs: Math.round(firstMs),
      firstAnswer: { leads: first.leads.length, gap: first.gap, note },
      completeMs: Math.round(completeMs),
      complete: { leads: done.leads.length, gap: done.gap ?? null },
      syncRequests: syncTimes.length,
      busiestWindow: { requests: most, share: most / LIMIT },
      interactive: {
        calls: interactive.length,
        failed: interactive.filter((c) => !c.ok).length,
        medianMs: Math.round(median(interactive.map((c) => c.ms))),
        maxMs: Math.round(Math.max(0, ...interactive.map((c) => c.ms))),
      },
      rateLimited429: sandbox.stats.rateLimited,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    mirror.close();
    await store.close();
    await moco.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
