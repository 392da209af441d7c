// Runs a sandbox until SIGINT/SIGTERM, for benchmarks and manual runs:
//   node dist/sandbox/cli.js [--port N] [--host H] [--api-key K] [--today YYYY-MM-DD]
//                            [--non-staff] [--read-only] [--rate-limit LIMIT/WINDOW_MS] [--leads N]
// MOCO_SANDBOX_FAULTS may hold a fault plan (see parseFaultsEnv). Prints one line to stderr:
//   moco-sandbox url=http://127.0.0.1:43125/api/v1 key=sandbox-key

import { parseArgs } from "node:util";
import { parseFaultsEnv, type SandboxOptions, startSandbox } from "./index.js";

function options(): SandboxOptions {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "api-key": { type: "string" },
      today: { type: "string" },
      "non-staff": { type: "boolean" },
      "read-only": { type: "boolean" },
      "rate-limit": { type: "string" },
      leads: { type: "string" },
    },
  });
  const result: SandboxOptions = {
    host: values.host,
    apiKey: values["api-key"],
    today: values.today,
    staff: !values["non-staff"],
    readOnlyKey: values["read-only"] ?? false,
    faults: parseFaultsEnv(process.env.MOCO_SANDBOX_FAULTS ?? ""),
  };
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`--port: not a port: ${values.port}`);
    result.port = port;
  }
  if (values.leads !== undefined) {
    if (!/^\d+$/.test(values.leads)) throw new Error(`--leads: not a whole number: ${values.leads}`);
    result.leads = Number(values.leads);
  }
  if (values["rate-limit"] !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values["rate-limit"]);
    if (!m) throw new Error("--rate-limit must look like LIMIT/WINDOW_MS, e.g. 120/120000");
    result.rateLimit = { limit: Number(m[1]), windowMs: Number(m[2]) };
  }
  return result;
}

async function main(): Promise<void> {
  const sandbox = await startSandbox(options());
  process.stderr.write(`moco-sandbox url=${sandbox.url} key=${sandbox.apiKey}\n`);
  const stop = () => {
    sandbox.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`moco-sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
