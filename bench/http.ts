// get_lead over Streamable HTTP with N concurrent SDK clients (default 16), for a bounded time.
// The server (stateless transport + a sandbox as its MOCO) runs in a child process, so the clients'
// CPU does not count against it; the sandbox does share the server's process. The MOCO client's
// rate budget is raised to 1,000,000 requests per window: the limiter would otherwise be the figure.
//
//   node --import tsx bench/http.ts [--quick] [--concurrency 16] [--seconds 5]
//   (also imported by bench/run.ts: benchHttp({ concurrency: 16, quick }))
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export interface HttpBenchOptions {
  /** Concurrent SDK clients, each calling in a loop. Default 16. */
  concurrency?: number;
  /** Measured time after warm-up. Default 5 s (1.5 s with quick). */
  durationMs?: number;
  /** Calls per client at most, to bound the run. Default 50,000. */
  maxCallsPerClient?: number;
  quick?: boolean;
  /** Plain JSON responses instead of SSE streams (MCP_HTTP_JSON_RESPONSE). Default false. */
  json?: boolean;
}

export interface HttpBenchResult {
  rps: number;
  /** Latency per call in ms, measured at the client. */
  p50: number;
  p99: number;
  calls: number;
  errors: number;
}

export const BENCH_RATE_LIMIT = 1_000_000;
const SELF = fileURLToPath(import.meta.url);

/** Runs in the child: sandbox + HTTP transport, prints the MCP URL and a lead id on stdout. */
async function serve(): Promise<void> {
  const { loadConfig } = await import("../src/config.js");
  const { MocoClient } = await import("../src/moco/client.js");
  const { RateLimiter } = await import("../src/moco/rate-limit.js");
  const { startSandbox } = await import("../src/sandbox/index.js");
  const { selectTools, TOOL_NAMES } = await import("../src/tools/index.js");
  const { ownClient, startHttpServer } = await import("../src/transports/http/index.js");
  const sandbox = await startSandbox({ apiKey: "bench-http-key-5d1c" });
  const config = loadConfig(
    ["--transport", "http", "--port", "0"],
    {
      MOCO_API_KEY: sandbox.apiKey,
      MOCO_BASE_URL: sandbox.url,
      MCP_HTTP_JSON_RESPONSE: process.env.MCP_HTTP_JSON_RESPONSE,
    },
    TOOL_NAMES,
  );
  const moco = new MocoClient({
    baseUrl: sandbox.url,
    apiKey: sandbox.apiKey,
    userAgent: "moco-leads-mcp-bench",
    requestTimeoutMs: config.requestTimeoutMs,
    budget: new RateLimiter({ limit: BENCH_RATE_LIMIT, windowMs: config.rateLimit.windowMs }),
  });
  if (config.transport !== "http") throw new Error("bench: expected an HTTP config");
  const handle = await startHttpServer(config, {
    clients: ownClient(moco),
    version: "bench",
    tools: selectTools(config),
  });
  const ids = sandbox.store.deals.slice(0, 50).map((d) => d.id);
  process.stdout.write(`${JSON.stringify({ mcp: `${handle.url}/mcp`, ids })}\n`);
  process.on("SIGTERM", async () => {
    await handle.close(1000);
    await moco.close();
    await sandbox.close();
    process.exit(0);
  });
}

export async function benchHttp(options: HttpBenchOptions = {}): Promise<HttpBenchResult> {
  const concurrency = options.concurrency ?? 16;
  const durationMs = options.durationMs ?? (options.quick ? 1_500 : 5_000);
  const warmupMs = options.quick ? 300 : 1_000;
  const maxCalls = options.maxCallsPerClient ?? 50_000;
  const child = spawn(process.execPath, [...process.execArgv, SELF, "--serve"], {
    stdio: ["ignore", "pipe", "ignore"],
    // The access log is part of the cost, so it stays on (into /dev/null).
    env: { ...process.env, MOCO_LOG_LEVEL: "info", MCP_HTTP_JSON_RESPONSE: options.json ? "true" : "false" },
  });
  try {
    const { mcp, ids } = await new Promise<{ mcp: string; ids: number[] }>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error("bench server did not start in 20 s")), 20_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split("\n")[0];
        if (out.includes("\n") && line) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      });
      child.once("exit", (code) => reject(new Error(`bench server exited with code ${code}`)));
    });
    const clients = await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const client = new Client({ name: "bench-http", version: "1.0.0" });
        await client.connect(new StreamableHTTPClientTransport(new URL(mcp)));
        return client;
      }),
    );
    const latencies: number[] = [];
    let errors = 0;
    const start = performance.now();
    const measureFrom = start + warmupMs;
    const end = measureFrom + durationMs;
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = 0; i < maxCalls && performance.now() < end; i++) {
          const t0 = performance.now();
          let failed = false;
          try {
            const r = await client.callTool({
              name: "get_lead",
              arguments: { id: ids[(c + i) % ids.length] },
            });
            failed = r.isError === true;
          } catch {
            failed = true;
          }
          const t1 = performance.now();
          if (t0 < measureFrom || t1 > end) continue;
          latencies.push(t1 - t0);
          if (failed) errors++;
        }
      }),
    );
    await Promise.all(clients.map((c) => c.close()));
    latencies.sort((a, b) => a - b);
    const at = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? NaN;
    return {
      rps: Math.round(latencies.length / (durationMs / 1000)),
      p50: Number(at(0.5).toFixed(2)),
      p99: Number(at(0.99).toFixed(2)),
      calls: latencies.length,
      errors,
    };
  } finally {
    child.kill("SIGTERM");
  }
}

if (process.argv[1] === SELF) {
  const { values } = parseArgs({
    options: {
      serve: { type: "boolean" },
      quick: { type: "boolean" },
      concurrency: { type: "string" },
      seconds: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (values.serve) {
    await serve();
  } else {
    const concurrency = Number(values.concurrency ?? 16);
    const result = await benchHttp({
      concurrency,
      quick: values.quick,
      json: values.json,
      durationMs: values.seconds ? Number(values.seconds) * 1000 : undefined,
    });
    console.log(
      `get_lead over Streamable HTTP (stateless, ${values.json ? "JSON" : "SSE"} responses), ${concurrency} concurrent SDK clients, ` +
        `MOCO client rate limit raised to ${BENCH_RATE_LIMIT.toLocaleString("en")} per window:`,
    );
    console.log(
      `  ${result.rps} calls/s, p50 ${result.p50} ms, p99 ${result.p99} ms (${result.calls} calls, ${result.errors} errors)`,
    );
  }
}
