import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * The built server over stdio with a client that stops reading stdout: the server must stop
 * reading stdin instead of queueing answers without bound. Needs `npm run build` first.
 */
const BIN = new URL("../../dist/index.js", import.meta.url).pathname;
const CALLS = 3_000;

const rssMb = (pid: number) => {
  const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return match ? Number(match[1]) / 1024 : Number.NaN;
};

describe.runIf(process.platform === "linux")("stdio backpressure", () => {
  it("with a client that stops reading, stdin reading pauses and memory stays bounded over 3,000 calls", async () => {
    const child = spawn(process.execPath, [BIN, "--sandbox"], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "", MOCO_LOG_LEVEL: "warn" },
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
      send({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: "2025-11-25",
          capabilities: {},
          clientInfo: { name: "stalled", version: "1" },
        },
      });
      send({ jsonrpc: "2.0", method: "notifications/initialized" });
      // tools/list: the largest answer that needs no MOCO request (about 16 KB each).
      for (let id = 1; id <= CALLS; id++) send({ jsonrpc: "2.0", id, method: "tools/list" });
      const rssBefore = rssMb(child.pid as number);
      // Nobody reads child.stdout. Give the server ample time to read everything it is going to.
      let peak = rssBefore;
      const end = Date.now() + 4_000;
      while (Date.now() < end && child.stdin.writableLength > 0) {
        peak = Math.max(peak, rssMb(child.pid as number));
        await new Promise((r) => setTimeout(r, 50));
      }
      peak = Math.max(peak, rssMb(child.pid as number));
      const unread = child.stdin.writableLength;
      // Requests still waiting on our side: the server stopped reading them.
      expect(unread).toBeGreaterThan(0);
      expect(peak).toBeLessThan(200);
      // Once the client reads again, every call is answered.
      let out = "";
      const answered = new Set<number>();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${answered.size} answers`)), 60_000);
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          let newline = out.indexOf("\n");
          while (newline !== -1) {
            const line = out.slice(0, newline);
            out = out.slice(newline + 1);
            const id = (JSON.parse(line) as { id?: number }).id;
            if (typeof id === "number") answered.add(id);
            newline = out.indexOf("\n");
          }
          if (answered.size === CALLS + 1) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(answered.size).toBe(CALLS + 1);
      expect(stderr).not.toMatch(/MaxListenersExceededWarning/);
      console.info(
        `stdio backpressure: RSS ${rssBefore.toFixed(0)} MB at start, peak ${peak.toFixed(0)} MB while stalled, ${(unread / 1024).toFixed(0)} KB of requests left unread; all ${CALLS} answered after`,
      );
    } finally {
      child.kill("SIGKILL");
    }
  }, 90_000);
});
