// Side by side: our stateless Streamable HTTP server against a bare stateless SDK server (one trivial
// tool, same SDK, a fresh McpServer + transport per request, same node:http), driven by the same
// client loop: N concurrent SDK clients (default 16) each calling one operation in a loop.
//   ping        — the protocol floor
//   tools/list  — what every new conversation pays
//   tools/call  — a call that needs no MOCO request: ours get_lead with id 0 (refused by the input
//                 schema, isError before any request), the bare server's echo tool
// Each server runs in its own child process (the clients' CPU does not count), one at a time, in
// alternating rounds so drift on a shared machine hits both alike.
//
//   node --import tsx bench/http-overhead.ts [--quick] [--concurrency 16] [--seconds 3] [--rounds 2]
//   (also importable: benchHttpOverhead({ concurrency: 16, quick }))
import { spawn } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export type Op = "ping" | "tools/list" | "tools/call";
export const OPS: readonly Op[] = ["ping", "tools/list", "tools/call"];
type Which = "ours" | "bare";

export interface OpFigures {
  rps: number;
  p50: number;
  errors: number;
}
export interface OverheadResult {
  /** Per operation, the median over rounds of each server's figures, and ours ÷ bare (req/s). */
  ops: Record<Op, { ours: OpFigures; bare: OpFigures; ratio: number }>;
  concurrency: number;
  rounds: number;
}

const SELF = fileURLToPath(import.meta.url);

async function serveOurs(): Promise<string> {
  const { loadConfig } = await import("../src/config.js");
  const { MocoClient } = await import("../src/moco/client.js");
  const { startSandbox } = await import("../src/sandbox/index.js");
  const { TOOL_NAMES } = await import("../src/tools/index.js");
  const { startHttpServer } = await import("../src/transports/http.js");
  const sandbox = await startSandbox({ apiKey: "bench-overhead-key-7a2e" });
  const config = loadConfig(
    ["--transport", "http", "--port", "0"],
    { MOCO_API_KEY: sandbox.apiKey, MOCO_BASE_URL: sandbox.url },
    TOOL_NAMES,
  );
  const moco = new MocoClient({
    baseUrl: sandbox.url,
    apiKey: sandbox.apiKey,
    userAgent: "moco-leads-mcp-bench",
    requestTimeoutMs: config.requestTimeoutMs,
    rateLimit: { limit: 1_000_000, windowMs: config.rateLimit.windowMs },
  });
  const handle = await startHttpServer(config, { upstream: { kind: "fixed", moco }, version: "bench" });
  return `${handle.url}/mcp`;
}

async function serveBare(): Promise<string> {
  const { McpServer } = await import("@modelcontextprotocol/sdk/server/mcp.js");
  const { StreamableHTTPServerTransport } = await import(
    "@modelcontextprotocol/sdk/server/streamableHttp.js"
  );
  const { z } = await import("zod");
  const http = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const server = new McpServer({ name: "bare", version: "1.0.0" });
    server.registerTool(
      "echo",
      { description: "Echoes the text back.", inputSchema: { text: z.string().describe("Text to echo") } },
      async ({ text }) => ({ content: [{ type: "text", text }] }),
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    const text = Buffer.concat(chunks).toString("utf8");
    await transport.handleRequest(req, res, text ? JSON.parse(text) : undefined);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

async function serve(which: Which): Promise<void> {
  const url = which === "ours" ? await serveOurs() : await serveBare();
  process.stdout.write(`${url}\n`);
  process.on("SIGTERM", () => process.exit(0));
}

function spawnServer(which: Which) {
  const child = spawn(process.execPath, [...process.execArgv, SELF, "--serve", which], {
    stdio: ["ignore", "pipe", "ignore"],
    // Our access log is part of our cost, so it stays on (into /dev/null).
    env: { ...process.env, MOCO_LOG_LEVEL: "info" },
  });
  const url = new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${which} server did not start in 20 s`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(out.split("\n")[0] as string);
      }
    });
    child.once("exit", (code) => reject(new Error(`${which} server exited with code ${code}`)));
  });
  return { child, url };
}

async function once(client: Client, which: Which, op: Op): Promise<boolean> {
  if (op === "ping") {
    await client.ping();
    return true;
  }
  if (op === "tools/list") return (await client.listTools()).tools.length > 0;
  const r =
    which === "ours"
      ? await client.callTool({ name: "get_lead", arguments: { id: 0 } })
      : await client.callTool({ name: "echo", arguments: { text: "x" } });
  // Ours must refuse the id before any request; the bare echo must succeed.
  return which === "ours" ? r.isError === true : r.isError !== true;
}

async function measure(url: string, which: Which, op: Op, concurrency: number, durationMs: number) {
  const warmupMs = Math.min(1_000, durationMs / 3);
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const client = new Client({ name: "bench-overhead", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      return client;
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  const measureFrom = performance.now() + warmupMs;
  const end = measureFrom + durationMs;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        let ok = false;
        try {
          ok = await once(client, which, op);
        } catch {}
        const t1 = performance.now();
        if (t0 < measureFrom || t1 > end) continue;
        latencies.push(t1 - t0);
        if (!ok) errors++;
      }
    }),
  );
  await Promise.all(clients.map((c) => c.close()));
  latencies.sort((a, b) => a - b);
  const p50 = latencies[Math.max(0, Math.ceil(0.5 * latencies.length) - 1)] ?? Number.NaN;
  return { rps: Math.round(latencies.length / (durationMs / 1000)), p50: Number(p50.toFixed(2)), errors };
}

const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;

export async function benchHttpOverhead(
  options: { concurrency?: number; durationMs?: number; rounds?: number; quick?: boolean } = {},
): Promise<OverheadResult> {
  const concurrency = options.concurrency ?? 16;
  const durationMs = options.durationMs ?? (options.quick ? 1_000 : 3_000);
  const rounds = options.rounds ?? (options.quick ? 1 : 2);
  const runs: Record<Which, Record<Op, OpFigures[]>> = {
    ours: { ping: [], "tools/list": [], "tools/call": [] },
    bare: { ping: [], "tools/list": [], "tools/call": [] },
  };
  for (let round = 0; round < rounds; round++) {
    for (const which of (round % 2 === 0 ? ["ours", "bare"] : ["bare", "ours"]) as Which[]) {
      const { child, url } = spawnServer(which);
      try {
        const mcp = await url;
        for (const op of OPS) runs[which][op].push(await measure(mcp, which, op, concurrency, durationMs));
      } finally {
        child.kill("SIGTERM");
      }
    }
  }
  const summary = (list: OpFigures[]): OpFigures => ({
    rps: mid(list.map((f) => f.rps)),
    p50: mid(list.map((f) => f.p50)),
    errors: list.reduce((n, f) => n + f.errors, 0),
  });
  const ops = Object.fromEntries(
    OPS.map((op) => {
      const ours = summary(runs.ours[op]);
      const bare = summary(runs.bare[op]);
      return [op, { ours, bare, ratio: Number((ours.rps / bare.rps).toFixed(2)) }];
    }),
  ) as OverheadResult["ops"];
  return { ops, concurrency, rounds };
}

if (process.argv[1] === SELF) {
  const { values } = parseArgs({
    options: {
      serve: { type: "string" },
      quick: { type: "boolean" },
      concurrency: { type: "string" },
      seconds: { type: "string" },
      rounds: { type: "string" },
    },
  });
  if (values.serve === "ours" || values.serve === "bare") {
    await serve(values.serve);
  } else {
    const result = await benchHttpOverhead({
      concurrency: values.concurrency ? Number(values.concurrency) : undefined,
      durationMs: values.seconds ? Number(values.seconds) * 1000 : undefined,
      rounds: values.rounds ? Number(values.rounds) : undefined,
      quick: values.quick,
    });
    console.log(
      `Stateless HTTP, ours vs a bare SDK server, ${result.concurrency} concurrent SDK clients, median of ${result.rounds} round(s):`,
    );
    for (const op of OPS) {
      const { ours, bare, ratio } = result.ops[op];
      console.log(
        `  ${op.padEnd(10)} ours ${ours.rps} req/s p50 ${ours.p50} ms · bare ${bare.rps} req/s p50 ${bare.p50} ms · ${ratio}× (errors ${ours.errors}/${bare.errors})`,
      );
    }
  }
}
