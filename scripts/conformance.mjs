#!/usr/bin/env node
// Runs the official MCP conformance server suite against our built HTTP entry point:
//   node dist/index.js --sandbox --transport http --port 0
// with conformance-baseline.yml as the expected failures. Builds nothing: run `npm run build` first.
// Exit code: the harness's (non-zero on an unexpected failure or a stale baseline entry), or 2 when
// the server could not be started.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(root, "dist", "index.js");
const baseline = join(root, "conformance-baseline.yml");
const harness = join(
  dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/conformance/package.json")),
  "dist",
  "index.js",
);

if (!existsSync(entry)) {
  console.error("conformance: dist/index.js is missing; run `npm run build` first");
  process.exit(2);
}

// The harness cannot send a bearer token, and its DNS-rebinding scenario needs a loopback URL.
const env = { ...process.env, MOCO_LOG_LEVEL: "info" }; // the "ready on" line is info
delete env.MCP_HTTP_TOKEN;
delete env.MCP_ALLOWED_HOSTS;
delete env.MCP_ALLOWED_ORIGINS;

const server = spawn(
  process.execPath,
  [entry, "--sandbox", "--transport", "http", "--host", "127.0.0.1", "--port", "0"],
  { env, stdio: ["ignore", "ignore", "pipe"] },
);
let serverLog = "";
server.stderr.setEncoding("utf8");

const stopServer = () => {
  if (server.exitCode === null && server.signalCode === null) server.kill("SIGTERM");
};
process.on("exit", stopServer);

let url;
try {
  url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not report ready within 15 s")), 15_000);
    server.stderr.on("data", (chunk) => {
      serverLog += chunk;
      const m = /ready on (http:\/\/\S+\/mcp)/.exec(serverLog);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with code ${code}`));
    });
  });
} catch (error) {
  console.error(`conformance: ${error.message}\n${serverLog}`);
  process.exit(2);
}

console.log(`conformance: server suite against ${url} (baseline: conformance-baseline.yml)`);
// Exactly the scenarios the 2025-11-25 revision requires, frozen at its release (the alpha's pending and
// draft scenarios are run and reported, but not scored).
const args = ["server", "--url", url, "--requirements", "2025-11-25", "--expected-failures", baseline];
const run = spawn(process.execPath, [harness, ...args], {
  stdio: ["ignore", "pipe", "inherit"],
});
// CI reads the last "N passed, N failed" line of `npm test` as the test count; the harness prints
// one per scenario, so its counts are reworded to keep that line vitest's alone.
run.stdout.on("data", (chunk) => {
  process.stdout.write(String(chunk).replace(/(\d+) passed, (\d+) failed/g, "$1 checks passed / $2 failed"));
});
const watchdog = setTimeout(() => {
  console.error("conformance: the harness took longer than 180 s; stopping it");
  run.kill("SIGTERM");
}, 180_000);
const code = await new Promise((resolve) => run.once("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
clearTimeout(watchdog);
stopServer();
if (code !== 0) {
  console.error("conformance: FAILED (unexpected failures or stale baseline entries above)");
  if (serverLog.trim()) console.error(`--- server stderr ---\n${serverLog}`);
}
process.exit(code);
