import { type ChildProcess, spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/**
 * Built servers (dist/index.js) spawned as HTTP instances of one team server, as a deployment runs
 * them behind a load balancer: each its own process, all on the store their env names. Used by the
 * instance tests (test/store/) and bench/instances.ts.
 */
export const BIN = new URL("../../dist/index.js", import.meta.url).pathname;
/** The bearer token every instance is given (MCP_HTTP_TOKEN), so clients pass the authenticated door. */
export const TOKEN = "instances-token-5b8e2c71d94fa03e6c1b";

export interface Instance {
  /** The MCP endpoint, e.g. http://127.0.0.1:41234/mcp. */
  url: string;
  child: ChildProcess;
  /** What the process wrote to stderr so far. */
  stderr(): string;
}

/**
 * Starts `count` instances, each `node dist/index.js --transport http --port 0 ...args` with `env`
 * (PATH and the token added), and resolves once each logs its address. Logs at info (the "ready on"
 * line is one); a caller that wants less sets MOCO_LOG_LEVEL and waits for nothing else.
 */
export async function startInstances(
  count: number,
  env: Record<string, string>,
  args: string[] = [],
): Promise<Instance[]> {
  const started: Instance[] = [];
  try {
    for (let i = 0; i < count; i++) started.push(await startInstance(env, args));
    return started;
  } catch (error) {
    await stopInstances(started);
    throw error;
  }
}

async function startInstance(env: Record<string, string>, args: string[]): Promise<Instance> {
  const child = spawn(process.execPath, [BIN, "--transport", "http", "--port", "0", ...args], {
    env: { PATH: process.env.PATH ?? "", MCP_HTTP_TOKEN: TOKEN, MOCO_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  // Kept short: an instance under load writes an access-log line per request.
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance not ready in 20 s: ${stderr}`)), 20_000);
    const look = () => {
      const m = /ready on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (!m) return;
      clearTimeout(timer);
      child.stderr?.off("data", look);
      resolve(m[1] as string);
    };
    child.stderr?.on("data", look);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with code ${code}: ${stderr}`));
    });
  });
  return { url, child, stderr: () => stderr };
}

/** SIGTERM to each, and waits for its exit (SIGKILL after 5 s). */
export async function stopInstances(instances: Instance[]): Promise<void> {
  await Promise.all(
    instances.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** An SDK client of one instance, with the token and `headers` on every request. */
export async function connectTo(instance: Instance, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "instances", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(instance.url), {
    requestInit: { headers: { authorization: `Bearer ${TOKEN}`, ...headers } },
  });
  await client.connect(transport);
  return client;
}

/** The text of a tool result. */
export const textOf = (r: CallToolResult): string =>
  r.content.map((c) => (c.type === "text" ? c.text : "")).join("");
