import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { request } from "undici";

const INITIALIZE_MESSAGE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "moco-leads-bench", version: "1.0.0" },
  },
};
const INITIALIZE = `${JSON.stringify(INITIALIZE_MESSAGE)}\n`;

/**
 * Milliseconds from spawn() until the child's answer to `initialize` arrives on stdout: what a host
 * like Claude Desktop waits for before it can list tools. The request is written at once (the pipe
 * buffers it), so the figure includes Node's own start-up, module loading and the server's set-up.
 */
export function coldStartMs(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(
      () => finish(new Error(`no initialize answer within ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    function finish(error: Error | undefined, ms?: number) {
      clearTimeout(timer);
      child.stdout.removeAllListeners("data");
      child.kill("SIGKILL");
      child.once("exit", () => (error ? reject(error) : resolve(ms as number)));
    }
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"id":1')) finish(undefined, performance.now() - started);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once("error", (error) => finish(error));
    child.stdin.write(INITIALIZE);
  });
}

const LISTENING = /http:\/\/127\.0\.0\.1:\d+\/mcp/;

/**
 * The same for Streamable HTTP: milliseconds from spawn() until the answer to an `initialize` POST
 * has arrived whole. The POST goes out as soon as the child names its URL (on stdout or stderr, e.g.
 * our "ready on http://127.0.0.1:PORT/mcp" log line), on a new connection, as a client's first would.
 */
export function coldStartHttpMs(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let seen = "";
    let asked = false;
    const timer = setTimeout(
      () => finish(new Error(`no initialize answer within ${timeoutMs} ms: ${seen.slice(0, 500)}`)),
      timeoutMs,
    );
    function finish(error: Error | undefined, ms?: number) {
      clearTimeout(timer);
      child.stdout.removeAllListeners("data");
      child.stderr.removeAllListeners("data");
      child.kill("SIGKILL");
      if (child.exitCode !== null || child.signalCode !== null) {
        error ? reject(error) : resolve(ms as number);
        return;
      }
      child.once("exit", () => (error ? reject(error) : resolve(ms as number)));
    }
    const watch = (chunk: Buffer) => {
      seen += chunk.toString();
      const url = LISTENING.exec(seen)?.[0];
      if (!url || asked) return;
      asked = true;
      initializeOverHttp(url).then(
        () => finish(undefined, performance.now() - started),
        (error: Error) => finish(error),
      );
    };
    child.stdout.on("data", watch);
    child.stderr.on("data", watch);
    child.once("error", (error) => finish(error));
  });
}

async function initializeOverHttp(url: string): Promise<void> {
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify(INITIALIZE_MESSAGE),
    reset: true,
  });
  const body = await res.body.text();
  if (res.statusCode !== 200 || !body.includes('"protocolVersion"')) {
    throw new Error(`initialize over HTTP answered ${res.statusCode}: ${body.slice(0, 200)}`);
  }
}

/**
 * One start as a host's first session makes it: initialize answered, a moment of use, then a clean
 * stop (stdin ended; SIGTERM over HTTP). What the server keeps between starts (V8's compile cache,
 * src/bin.ts) is then on disk, as it is for every start of a user's after the first.
 */
export async function firstSession(args: string[], env: NodeJS.ProcessEnv, http = false): Promise<void> {
  const child = spawn(process.execPath, args, { env, stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  let seen = "";
  await new Promise<void>((resolve, reject) => {
    const watch = (chunk: Buffer) => {
      seen += chunk.toString();
      const url = http ? LISTENING.exec(seen)?.[0] : undefined;
      if (http && url) {
        child.stdout.removeAllListeners("data");
        child.stderr.removeAllListeners("data");
        initializeOverHttp(url).then(resolve, reject);
      } else if (!http && seen.includes('"id":1')) {
        child.stdout.removeAllListeners("data");
        resolve();
      }
    };
    child.stdout.on("data", watch);
    if (http) child.stderr.on("data", watch);
    child.once("error", reject);
    if (!http) child.stdin.write(INITIALIZE);
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  if (http) child.kill("SIGTERM");
  else child.stdin.end();
  await exited;
  clearTimeout(timer);
}
