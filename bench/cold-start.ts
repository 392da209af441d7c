import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

const INITIALIZE = `${JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "moco-leads-bench", version: "1.0.0" },
  },
})}\n`;

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
