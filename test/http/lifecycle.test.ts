import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type HttpFixture, initialize, raw, startHttpFixture } from "./support.js";

describe("Streamable HTTP under load", () => {
  let f: HttpFixture;
  beforeAll(async () => {
    f = await startHttpFixture();
  });
  afterAll(() => f.close());

  it("serves 100 concurrent SDK clients without an error", async () => {
    const ids = f.sandbox.store.deals.slice(0, 100).map((d) => d.id);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, async (_, i) => {
        const client = await f.connect();
        const id = ids[i % ids.length] as number;
        const got = await call(client, "get_lead", { id });
        const list = await call(client, "list_leads", { per_page: 3, page: (i % 5) + 1 });
        await client.close();
        if (got.isError || list.isError) throw new Error(JSON.stringify([got.content, list.content]));
        return (got.structuredContent as { lead: { id: number } }).lead.id === id;
      }),
    );
    const failed = outcomes.filter((o) => o.status === "rejected");
    expect(failed.map((o) => String((o as PromiseRejectedResult).reason)).slice(0, 3)).toEqual([]);
    expect(outcomes.every((o) => o.status === "fulfilled" && o.value)).toBe(true);
  });
});

describe("graceful shutdown", () => {
  it("finishes an in-flight call, refuses new connections, then resolves", async () => {
    const f = await startHttpFixture();
    try {
      const id = f.sandbox.store.deals[0]?.id as number;
      f.sandbox.faults.push({ kind: "slow", method: "GET", path: `/deals/${id}`, delayMs: 300 });
      const client = await f.connect();
      const inFlight = call(client, "get_lead", { id });
      await new Promise((r) => setTimeout(r, 100)); // the call now waits on the slow sandbox
      const closing = f.handle.close(5_000);
      await expect(raw(`${f.handle.url}/healthz`, { method: "GET" })).rejects.toThrow();
      const result = await inFlight;
      expect(result.isError).toBeFalsy();
      await closing;
    } finally {
      await f.close();
    }
  });

  it("does not wait longer than the grace period for a stuck call", async () => {
    const f = await startHttpFixture();
    try {
      const id = f.sandbox.store.deals[0]?.id as number;
      f.sandbox.faults.push({ kind: "slow", method: "GET", path: `/deals/${id}`, delayMs: 10_000 });
      const client = await f.connect();
      // The SDK client does not notice a dropped SSE stream by itself; its own timeout ends the wait.
      const stuck = client
        .callTool({ name: "get_lead", arguments: { id } }, undefined, { timeout: 1_000 })
        .then(
          () => "answered",
          () => "failed",
        );
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      await f.handle.close(200);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await stuck).toBe("failed");
      // The dropped connection aborted the tool call, so its MOCO request did not linger either.
      expect(f.sandbox.requests.at(-1)?.status).toBe(0);
    } finally {
      await f.close();
    }
  });
});

const BIN = new URL("../../dist/index.js", import.meta.url).pathname;

describe.skipIf(!existsSync(BIN))("built binary with --transport http", () => {
  it("serves MCP, then exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [BIN, "--sandbox", "--transport", "http", "--port", "0"], {
      env: { PATH: process.env.PATH ?? "", MOCO_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready: ${stderr}`)), 10_000);
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        const m = /ready on (http:\/\/\S+\/mcp)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
    });
    const r = await raw(url, { body: initialize });
    expect(r.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGTERM: finishing in-flight requests/);
    expect(stdout).toBe(""); // stdout is never written over HTTP either
  });
});
