// Soak run (a benchmark, not a test): 10,000 mixed tool calls against the built server over stdio,
// with upstream faults sprinkled in, reporting the server's RSS before and after.
// Usage: npm run soak [-- --calls 10000]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { startSandbox } from "../src/sandbox/index.js";

const { values } = parseArgs({ options: { calls: { type: "string", default: "10000" } } });
const CALLS = Number(values.calls);
const KEY = "soak-key-0123456789";

const rssMb = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return line ? Number(line[1]) / 1024 : Number.NaN;
};

const sandbox = await startSandbox({ apiKey: KEY });
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [new URL("../dist/index.js", import.meta.url).pathname],
  env: {
    PATH: process.env.PATH ?? "",
    MOCO_API_KEY: KEY,
    MOCO_BASE_URL: sandbox.url,
    MOCO_RATE_LIMIT: "100000",
    MOCO_LOG_LEVEL: "error",
  },
  stderr: "ignore",
});
const client = new Client({ name: "soak", version: "1" });
await client.connect(transport);
const pid = transport.pid as number;
await client.listTools();
await new Promise((r) => setTimeout(r, 500));
const before = rssMb(pid);

const ids = sandbox.store.deals.slice(0, 200).map((d) => d.id);
let ok = 0;
let errors = 0;
const started = Date.now();
for (let i = 0; i < CALLS; i++) {
  if (i % 50 === 0)
    sandbox.faults.push({ kind: i % 100 === 0 ? "reset" : "status", status: 503, method: "GET" });
  const id = ids[i % ids.length] as number;
  const call =
    i % 4 === 0
      ? { name: "list_leads", arguments: { per_page: 25, page: 1 + (i % 10) } }
      : i % 4 === 1
        ? { name: "get_lead", arguments: { id } }
        : i % 4 === 2
          ? { name: "update_lead", arguments: { id, info: `soak ${i}` } }
          : { name: "create_lead", arguments: { name: "invalid on purpose", money: -1 } };
  const result = (await client.callTool(call)) as CallToolResult;
  if (result.isError) errors++;
  else ok++;
}
const seconds = (Date.now() - started) / 1000;
await new Promise((r) => setTimeout(r, 500));
const after = rssMb(pid);
await client.close();
await sandbox.close();

const leadCount = sandbox.store.deals.length;
console.log(
  [
    `soak: ${CALLS} tool calls in ${seconds.toFixed(1)} s (${(CALLS / seconds).toFixed(0)} calls/s), ${ok} ok, ${errors} isError (${CALLS / 4} invalid on purpose)`,
    `server RSS: ${before.toFixed(1)} MB before, ${after.toFixed(1)} MB after (${(after - before >= 0 ? "+" : "") + (after - before).toFixed(1)} MB)`,
    `sandbox leads: ${leadCount} (unchanged count expected: no creates succeed, none lost)`,
  ].join("\n"),
);
