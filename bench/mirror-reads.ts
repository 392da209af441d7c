// Reads on a 20,000-lead account through the real tools, end to end over stdio (`node dist/index.js`):
// one server with the lead mirror (MOCO_STORE = a scratch file, default freshness), one with
// MOCO_STORE=off (today's live scan, page cap 20), against one sandbox with the "unlimited" budget
// (1,200 requests / 120 s, enforced by the sandbox and kept by each server). Every MOCO request is
// counted: the first pipeline_summary of the mirror server is its first sync; later ones are warm.
//
//   node --import tsx bench/mirror-reads.ts [--quick] [--leads 20000]     (npm run build first)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type Sandbox, startSandbox } from "../src/sandbox/index.js";
import { median, percentile, rssMb, sleep } from "./util.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const KEY = "bench-mirror-reads-key-3f8a";
export const BUDGET = { limit: 1200, windowMs: 120_000 };

export interface Timing {
  p50: number;
  p99: number;
  n: number;
  /** MOCO requests per call (the most any call made). */
  requests: number;
  /** What the last answer said of its scan. */
  complete: boolean;
  scanned: number;
  matched: number;
}
export interface Side {
  pipeline: Timing;
  search: Timing;
  /** The server process's RSS after the calls. */
  rss: number;
}
export interface MirrorReads {
  leads: number;
  query: string;
  /** The mirror server's first pipeline_summary: the first sync, end to end. */
  firstCall: { requests: number; ms: number; complete: boolean };
  mirror: Side;
  live: Side;
  /** Requests of the whole run, against the budget. */
  totalRequests: number;
}

async function server(sandbox: Sandbox, store: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(ROOT, "dist/index.js")],
    env: {
      PATH: process.env.PATH ?? "",
      MOCO_API_KEY: KEY,
      MOCO_BASE_URL: sandbox.url,
      MOCO_RATE_LIMIT: String(BUDGET.limit),
      MOCO_STORE: store,
      MOCO_LOG_LEVEL: "error",
    },
    stderr: "ignore",
  });
  const client = new Client({ name: "moco-leads-bench", version: "1.0.0" });
  await client.connect(transport);
  return { client, pid: transport.pid as number };
}

async function timed(n: number, sandbox: Sandbox, call: () => Promise<unknown>): Promise<Timing> {
  const times: number[] = [];
  let requests = 0;
  let last: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const before = sandbox.requests.length;
    const t = performance.now();
    const result = (await call()) as CallToolResult;
    times.push(performance.now() - t);
    if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content).slice(0, 300)}`);
    requests = Math.max(requests, sandbox.requests.length - before);
    last = (result.structuredContent ?? {}) as Record<string, unknown>;
  }
  return {
    p50: median(times),
    p99: percentile(times, 99),
    n,
    requests,
    complete: last.complete === true,
    scanned: Number(last.scanned),
    matched: Number(last.matched),
  };
}

export async function benchMirrorReads(
  options: { leads?: number; quick?: boolean } = {},
): Promise<MirrorReads> {
  const leads = options.leads ?? 20_000;
  const calls = options.quick ? 3 : 10;
  const sandbox = await startSandbox({ apiKey: KEY, leads, rateLimit: BUDGET });
  const dir = mkdtempSync(join(tmpdir(), "bench-mirror-reads-"));
  const query = sandbox.store.companies[0]?.name.split(" ")[0] ?? "AG";
  const sides: Partial<Record<"mirror" | "live", Awaited<ReturnType<typeof server>>>> = {};
  try {
    const measure = async (side: "mirror" | "live"): Promise<Side> => {
      const { client, pid } = sides[side] as Awaited<ReturnType<typeof server>>;
      const pipeline = await timed(calls, sandbox, () =>
        client.callTool({ name: "pipeline_summary", arguments: {} }),
      );
      const search = await timed(calls, sandbox, () =>
        client.callTool({ name: "list_leads", arguments: { query } }),
      );
      await sleep(300);
      return { pipeline, search, rss: rssMb(pid) };
    };
    sides.mirror = await server(sandbox, join(dir, "store.sqlite"));
    const before = sandbox.requests.length;
    const t = performance.now();
    const first = (await sides.mirror.client.callTool({
      name: "pipeline_summary",
      arguments: {},
    })) as CallToolResult;
    const firstCall = {
      requests: sandbox.requests.length - before,
      ms: performance.now() - t,
      complete: (first.structuredContent as { complete?: boolean } | undefined)?.complete === true,
    };
    const mirror = await measure("mirror");
    sides.live = await server(sandbox, "off");
    const live = await measure("live");
    return { leads, query, firstCall, mirror, live, totalRequests: sandbox.requests.length };
  } finally {
    for (const s of Object.values(sides)) await s?.client.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: "boolean" }, leads: { type: "string" } } });
  const result = await benchMirrorReads({
    quick: values.quick,
    leads: values.leads ? Number(values.leads) : undefined,
  });
  console.log(JSON.stringify(result, null, 2));
}
