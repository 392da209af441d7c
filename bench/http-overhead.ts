// Side by side: our built server (`node dist/index.js --transport http`, as users run it) against a bare
// stateless SDK server (bench/baseline-http-server.mjs: one trivial tool, same SDK, a fresh McpServer +
// transport per request, node:http), driven by the same client loop: N concurrent keep-alive
// connections (default 16) each POSTing one JSON-RPC message in a loop and reading the whole answer.
//   ping        — the protocol floor
//   tools/list  — what every new conversation pays
//   tools/call  — a call that needs no MOCO request: ours get_lead with id 0 (refused by the input
//                 schema, isError before any request; the sandbox counts 0 requests), the bare server's echo
// The client is deliberately thin (undici, no schema validation): it must not be the figure on a
// 2-core machine. Both servers run in child processes of their own; per operation they are driven in
// turn, in short alternating rounds, so that a burst of load from others hits both alike; the ratio is
// the median of the rounds' paired ratios. Each server's CPU time per request (utime + stime from
// /proc) is reported beside req/s: it moves much less with the machine's load than throughput does.
//
//   node --import tsx bench/http-overhead.ts [--quick] [--concurrency 16] [--seconds 1.5] [--rounds 4]
//   (npm run build first; also importable: benchHttpOverhead({ concurrency: 16, quick }))
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import type * as SandboxModule from "../src/sandbox/index.js";
import { cpuTicks, median } from "./util.js";

export type Op = "ping" | "tools/list" | "tools/call";
export const OPS: readonly Op[] = ["ping", "tools/list", "tools/call"];
type Which = "ours" | "bare";

export interface OpFigures {
  rps: number;
  /** Latency per request at the client, ms. */
  p50: number;
  /** The server process's CPU time per request, ms. */
  cpuMs: number;
  errors: number;
}
export interface OverheadResult {
  /** Per operation: the median over rounds of each server's figures, and the median paired ratio ours ÷ bare (req/s). */
  ops: Record<Op, { ours: OpFigures; bare: OpFigures; ratio: number; ratios: number[] }>;
  concurrency: number;
  rounds: number;
  secondsPerRound: number;
  /** Requests the sandbox (our MOCO) received during every tools/call window: 0 is the claim. */
  mocoRequestsDuringCalls: number;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const KEY = "bench-overhead-key-7a2e";
const PROTOCOL = "2025-06-18";
const DATA_HOME = join(tmpdir(), `moco-leads-bench-overhead-${process.pid}`);
const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat counts CPU time in these ticks.

const bodies: Record<Which, Record<Op, string>> = {
  ours: {
    ping: rpc("ping"),
    "tools/list": rpc("tools/list"),
    "tools/call": rpc("tools/call", { name: "get_lead", arguments: { id: 0 } }),
  },
  bare: {
    ping: rpc("ping"),
    "tools/list": rpc("tools/list"),
    "tools/call": rpc("tools/call", { name: "echo", arguments: { text: "x" } }),
  },
};

function rpc(method: string, params?: unknown): string {
  return JSON.stringify({ jsonrpc: "2.0", id: 1, method, ...(params ? { params } : {}) });
}

/** Whether an answer is the one expected: a result; ours refuses id 0 as a tool error, the bare echo succeeds. */
function answered(which: Which, op: Op, status: number, body: string): boolean {
  if (status !== 200 || !body.includes('"result"')) return false;
  if (op === "tools/list") return body.includes('"tools"');
  if (op === "tools/call")
    return which === "ours" ? body.includes('"isError":true') : !body.includes("isError");
  return true;
}

interface Running {
  child: ChildProcess;
  url: string;
}

/** Spawns a server and waits for the line that names its URL (our log line on stderr, the bare one's stdout). */
function start(which: Which, mocoUrl: string): Promise<Running> {
  const args =
    which === "ours"
      ? [join(ROOT, "dist/index.js"), "--transport", "http", "--port", "0"]
      : [join(ROOT, "bench/baseline-http-server.mjs")];
  const env =
    which === "ours"
      ? {
          PATH: process.env.PATH ?? "",
          MOCO_API_KEY: KEY,
          MOCO_BASE_URL: mocoUrl,
          MOCO_RATE_LIMIT: "100000",
          // The default store location, in a scratch folder (the store opens in the background at start).
          XDG_DATA_HOME: DATA_HOME,
          // The access log is part of our cost, so it stays on (read and dropped here).
          MOCO_LOG_LEVEL: "info",
        }
      : { PATH: process.env.PATH ?? "" };
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`${which} server did not start in 20 s: ${seen}`)),
      20_000,
    );
    const watch = (chunk: Buffer) => {
      if (seen === undefined) return;
      seen += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:\d+\/mcp/.exec(seen)?.[0];
      if (url) {
        clearTimeout(timer);
        seen = "";
        resolve({ child, url });
      }
      if (seen.length > 10_000) seen = seen.slice(-1000);
    };
    child.stdout?.on("data", watch);
    child.stderr?.on("data", watch);
    child.once("exit", (code) => reject(new Error(`${which} server exited with code ${code}: ${seen}`)));
  });
}

async function measure(server: Running, which: Which, op: Op, concurrency: number, durationMs: number) {
  const url = new URL(server.url);
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1 });
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": PROTOCOL,
  };
  const body = bodies[which][op];
  const one = async () => {
    const res = await pool.request({ path: url.pathname, method: "POST", headers, body });
    return answered(which, op, res.statusCode, await res.body.text());
  };
  const warmupMs = Math.min(300, durationMs / 3);
  const latencies: number[] = [];
  let errors = 0;
  const measureFrom = performance.now() + warmupMs;
  const end = measureFrom + durationMs;
  let cpuFrom = Number.NaN;
  const pid = server.child.pid as number;
  const timer = setTimeout(() => {
    cpuFrom = cpuTicks(pid);
  }, warmupMs);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        let ok = false;
        try {
          ok = await one();
        } catch {}
        const t1 = performance.now();
        if (t0 < measureFrom || t1 > end) continue;
        latencies.push(t1 - t0);
        if (!ok) errors++;
      }
    }),
  );
  clearTimeout(timer);
  const cpuMs = ((cpuTicks(pid) - cpuFrom) * 1000) / CLK_TCK;
  await pool.close();
  return {
    rps: Math.round(latencies.length / (durationMs / 1000)),
    p50: Number(median(latencies).toFixed(2)),
    cpuMs: latencies.length > 0 ? Number((cpuMs / latencies.length).toFixed(3)) : Number.NaN,
    errors,
  };
}

export async function benchHttpOverhead(
  options: { concurrency?: number; durationMs?: number; rounds?: number; quick?: boolean } = {},
): Promise<OverheadResult> {
  const concurrency = options.concurrency ?? 16;
  const durationMs = options.durationMs ?? (options.quick ? 500 : 1_500);
  const rounds = options.rounds ?? (options.quick ? 1 : 4);
  const warmupMs = options.quick ? 300 : 1_000;
  const { startSandbox } = (await import(
    pathToFileURL(join(ROOT, "dist/sandbox/index.js")).href
  )) as typeof SandboxModule;
  const sandbox = await startSandbox({ apiKey: KEY });
  const servers: Partial<Record<Which, Running>> = {};
  const runs = Object.fromEntries(OPS.map((op) => [op, { ours: [], bare: [] }])) as unknown as Record<
    Op,
    Record<Which, OpFigures[]>
  >;
  let mocoRequestsDuringCalls = 0;
  try {
    servers.ours = await start("ours", sandbox.url);
    servers.bare = await start("bare", sandbox.url);
    // Unmeasured: JIT-compile both servers' paths for every operation before the first round counts.
    for (const which of ["ours", "bare"] as Which[]) {
      for (const op of OPS) await measure(servers[which] as Running, which, op, concurrency, warmupMs);
    }
    for (let round = 0; round < rounds; round++) {
      for (const op of OPS) {
        for (const which of (round % 2 === 0 ? ["ours", "bare"] : ["bare", "ours"]) as Which[]) {
          const before = sandbox.requests.length;
          runs[op][which].push(await measure(servers[which] as Running, which, op, concurrency, durationMs));
          if (op === "tools/call" && which === "ours")
            mocoRequestsDuringCalls += sandbox.requests.length - before;
        }
      }
    }
  } finally {
    for (const s of Object.values(servers)) s?.child.kill("SIGKILL");
    await sandbox.close();
    rmSync(DATA_HOME, { recursive: true, force: true });
  }
  const summary = (list: OpFigures[]): OpFigures => ({
    rps: median(list.map((f) => f.rps)),
    p50: median(list.map((f) => f.p50)),
    cpuMs: median(list.map((f) => f.cpuMs)),
    errors: list.reduce((n, f) => n + f.errors, 0),
  });
  const ops = Object.fromEntries(
    OPS.map((op) => {
      const { ours, bare } = runs[op];
      const ratios = ours.map((o, i) => Number((o.rps / (bare[i]?.rps ?? Number.NaN)).toFixed(2)));
      return [op, { ours: summary(ours), bare: summary(bare), ratio: median(ratios), ratios }];
    }),
  ) as OverheadResult["ops"];
  return { ops, concurrency, rounds, secondsPerRound: durationMs / 1000, mocoRequestsDuringCalls };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean" },
      concurrency: { type: "string" },
      seconds: { type: "string" },
      rounds: { type: "string" },
    },
  });
  const result = await benchHttpOverhead({
    concurrency: values.concurrency ? Number(values.concurrency) : undefined,
    durationMs: values.seconds ? Number(values.seconds) * 1000 : undefined,
    rounds: values.rounds ? Number(values.rounds) : undefined,
    quick: values.quick,
  });
  console.log(
    `Stateless HTTP, ours (dist/index.js) vs a bare SDK server, ${result.concurrency} concurrent connections, ` +
      `${result.rounds} alternating round(s) of ${result.secondsPerRound} s; MOCO requests during ours' tools/call: ${result.mocoRequestsDuringCalls}`,
  );
  for (const op of OPS) {
    const { ours, bare, ratio, ratios } = result.ops[op];
    console.log(
      `  ${op.padEnd(10)} ours ${ours.rps} req/s p50 ${ours.p50} ms cpu ${ours.cpuMs} ms/req · ` +
        `bare ${bare.rps} req/s p50 ${bare.p50} ms cpu ${bare.cpuMs} ms/req · ${ratio}× [${ratios.join(", ")}] (errors ${ours.errors}/${bare.errors})`,
    );
  }
}
