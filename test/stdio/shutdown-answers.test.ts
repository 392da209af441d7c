import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { until } from "../support/sockets.js";

/**
 * The built server over stdio (needs `npm run build`) against the sandbox over TCP, with a create that
 * MOCO answers slowly. However the session ends (stdin EOF, SIGTERM, a channel fault), every call in
 * progress gets its answer on stdout: the lead, or the tool's own "may have been created" step.
 */
const BIN = new URL("../../dist/index.js", import.meta.url).pathname;
const KEY = "stdio-shutdown-key-7e1d9c";

interface Reply {
  id?: number;
  result?: { isError?: boolean; content?: { text: string }[]; structuredContent?: { lead?: { id: number } } };
  error?: { message: string };
}

let sandbox: Sandbox | undefined;
let child: ChildProcessWithoutNullStreams | undefined;
afterEach(async () => {
  child?.kill("SIGKILL");
  await sandbox?.close();
  sandbox = child = undefined;
});

async function start(delayMs: number, env: Record<string, string> = {}) {
  const box = await startSandbox({
    apiKey: KEY,
    faults: [{ kind: "slow", method: "POST", path: "/deals", delayMs }],
  });
  sandbox = box;
  const proc = spawn(process.execPath, [BIN], {
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      MOCO_API_KEY: KEY,
      MOCO_BASE_URL: box.url,
      MOCO_LOG_LEVEL: "info",
      MOCO_STORE: "memory",
      ...env,
    },
  });
  child = proc;
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const replies: Reply[] = [];
  let out = "";
  proc.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    for (let nl = out.indexOf("\n"); nl !== -1; nl = out.indexOf("\n")) {
      replies.push(JSON.parse(out.slice(0, nl)) as Reply);
      out = out.slice(nl + 1);
    }
  });
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
  const name = `Shutdown lead ${Math.random().toString(36).slice(2, 8)}`;
  send({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: {
      name: "create_lead",
      arguments: {
        name,
        currency: "CHF",
        money: 900,
        reminder_date: "2026-12-24",
        user_id: box.store.users[0]?.id,
        deal_category_id: box.store.categories[0]?.id,
      },
    },
  });
  const posted = () => box.requests.some((r) => r.method === "POST" && r.path === "/deals");
  await until(posted, 10_000, "the POST reaching the sandbox");
  const reply = (id: number) => replies.find((r) => r.id === id);
  const stored = () => box.store.deals.find((d) => d.name === name);
  return { proc, send, stderr: () => stderr, exited, reply, stored };
}

describe("stdio shutdown answers every call in progress", () => {
  it.each(["stdin EOF", "SIGTERM"])(
    "on %s, a create in progress finishes and its answer reaches the client",
    async (how) => {
      const s = await start(1_500);
      if (how === "SIGTERM") s.proc.kill("SIGTERM");
      else s.proc.stdin.end();
      expect(await s.exited).toBe(0);
      const lead = s.stored();
      expect(lead, "MOCO stored the lead").toBeDefined();
      const reply = s.reply(1);
      expect(reply?.result?.isError, JSON.stringify(reply)).toBeFalsy();
      expect(reply?.result?.structuredContent?.lead?.id).toBe(lead?.id);
      expect(s.stderr()).not.toMatch(/may have been created/i);
    },
  );

  it("past the grace period, the client gets the tool's own 'may have been created' step for that id, and stderr says so", async () => {
    const s = await start(8_000, { MOCO_SHUTDOWN_GRACE_MS: "300" });
    s.proc.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    const reply = s.reply(1);
    expect(reply?.result?.isError, JSON.stringify(reply)).toBe(true);
    const text = reply?.result?.content?.[0]?.text ?? "";
    expect(text).toMatch(/The lead MAY HAVE BEEN CREATED even though MOCO's answer did not confirm it/);
    expect(text).toMatch(/list_leads with updated_after=/);
    expect(s.stderr()).toMatch(
      /POST \/deals was sent to MOCO but its answer did not arrive in time: it may have been created/,
    );
  });
});

describe("a request that arrives while the server shuts down", () => {
  it("is refused with an error for its id, while the call in progress is still answered", async () => {
    const s = await start(3_000);
    s.proc.kill("SIGTERM");
    await until(() => /SIGTERM: letting writes/.test(s.stderr()), 10_000, "SIGTERM seen");
    s.send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    expect(await s.exited).toBe(0);
    expect(s.reply(2)?.error?.message).toMatch(/shutting down; this request was not carried out/);
    expect(s.reply(1)?.result?.structuredContent?.lead?.id).toBe(s.stored()?.id);
  });
});

describe("a fault of the stdio channel is logged with its reason", () => {
  it("a message over the SDK's size limit: stderr names it, the call in progress is still answered, exit 1", async () => {
    // The create outlives the reading of 10 MB, which takes seconds; past the grace it is answered
    // with its "may have been created" step instead of being dropped with the channel.
    const s = await start(60_000, { MOCO_SHUTDOWN_GRACE_MS: "300" });
    s.proc.stdin.write(Buffer.alloc(10 * 1024 * 1024 + 1, "x"));
    expect(await s.exited).toBe(1);
    expect(s.stderr()).toMatch(
      /stdin: ReadBuffer exceeded maximum size of 10485760 bytes: letting writes already sent to MOCO finish, and the call in progress answer/,
    );
    const reply = s.reply(1);
    expect(reply?.result?.isError, JSON.stringify(reply)).toBe(true);
    expect(reply?.result?.content?.[0]?.text).toMatch(/The lead MAY HAVE BEEN CREATED/);
  }, 60_000);

  it("a broken stdout: stderr names it (EPIPE) and the server exits 1", async () => {
    const s = await start(300);
    s.proc.stdout.destroy();
    await new Promise((r) => setTimeout(r, 100));
    s.send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    expect(await s.exited).toBe(1);
    expect(s.stderr()).toMatch(/stdout failed \(.*EPIPE.*\): answers can no longer be written/);
  });
});
