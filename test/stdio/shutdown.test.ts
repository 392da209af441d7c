import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../support/sockets.js";
import { json, startUpstream, type Upstream } from "../support/upstream.js";

/**
 * The built server over stdio (needs `npm run build`), its MOCO a tiny upstream that holds every
 * POST until the test lets it go: at shutdown a write already sent finishes, or is named in the log.
 */
const BIN = new URL("../../dist/index.js", import.meta.url).pathname;
const KEY = "shutdown-key-4c2e8a6b0d";

let upstream: Upstream | undefined;
let child: ChildProcessWithoutNullStreams | undefined;
afterEach(async () => {
  child?.kill("SIGKILL");
  await upstream?.close();
  upstream = child = undefined;
});

async function start(env: Record<string, string> = {}) {
  const held: (() => void)[] = [];
  let answered = 0;
  upstream = await startUpstream(async (req, res) => {
    await new Promise<void>((release) => held.push(release));
    if (!req.socket.destroyed) answered++;
    json(res, 200, {
      id: 77,
      text: "Called",
      created_at: "2026-01-05T09:00:00Z",
      updated_at: "2026-01-05T09:00:00Z",
    });
  });
  const proc = spawn(process.execPath, [BIN], {
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      MOCO_API_KEY: KEY,
      MOCO_BASE_URL: upstream.url,
      MOCO_LOG_LEVEL: "info",
      MOCO_STORE: "memory", // never the user's data directory
      ...env,
    },
  });
  child = proc;
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  proc.stdout.resume();
  const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
  const send = (m: unknown) => proc.stdin.write(`${JSON.stringify(m)}\n`);
  send({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "shutdown", version: "1" },
    },
  });
  send({ jsonrpc: "2.0", method: "notifications/initialized" });
  send({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "add_lead_note", arguments: { id: 1, text: "Called the client" } },
  });
  const up = upstream;
  await until(() => up.requests.some((r) => r.method === "POST"), 10_000, "the POST reaching MOCO");
  return {
    proc,
    stderr: () => stderr,
    exited,
    release: () => {
      for (const fn of held.splice(0)) fn();
    },
    answered: () => answered,
  };
}

describe("writes at shutdown", () => {
  it("on stdin EOF a POST already sent to MOCO is allowed to finish", async () => {
    const s = await start();
    s.proc.stdin.end();
    await until(
      () => /stdin closed: letting writes already sent to MOCO finish/.test(s.stderr()),
      10_000,
      "EOF seen",
    );
    s.release();
    expect(await s.exited).toBe(0);
    expect(s.answered()).toBe(1); // the connection was still open when MOCO answered
    expect(s.stderr()).not.toMatch(/may have been created/);
  });

  it("on SIGTERM a POST that cannot finish in time is logged as 'may have been created' with a next step", async () => {
    const s = await start({ MOCO_SHUTDOWN_GRACE_MS: "300" });
    s.proc.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    expect(s.stderr()).toMatch(
      /shutdown: POST \/comments was sent to MOCO but its answer did not arrive in time: it may have been created\. Look for it/,
    );
    s.release();
  });
});
