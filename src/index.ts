#!/usr/bin/env node
import { type Config, ConfigError, HELP, loadConfig, wantsHelp } from "./config.js";
import { log, registerSecret, setLogLevel } from "./log.js";
import { MocoClient } from "./moco/client.js";
import { createServer, SANDBOX_NOTICE } from "./server.js";
import { TOOL_NAMES } from "./tools/index.js";
import { serveStdio } from "./transports/stdio.js";
import { USER_AGENT, VERSION } from "./version.js";

/** The bin: flags and environment → config → MOCO client → a transport. Nothing else. */
interface Upstream {
  baseUrl: string;
  apiKey: string;
  close: () => Promise<void>;
}

async function upstream(config: Config): Promise<Upstream | undefined> {
  if (config.http.perRequestCredentials && !config.sandbox) return undefined;
  if (!config.sandbox) {
    return { baseUrl: config.baseUrl as string, apiKey: config.apiKey as string, close: async () => {} };
  }
  const { startSandbox, parseFaultsEnv } = await import("./sandbox/index.js");
  const faults = process.env.MOCO_SANDBOX_FAULTS;
  const sandbox = await startSandbox({
    rateLimit: { limit: config.rateLimit.limit, windowMs: config.rateLimit.windowMs },
    faults: faults ? parseFaultsEnv(faults) : [],
  });
  log("info", `${SANDBOX_NOTICE} serving a built-in MOCO sandbox at ${sandbox.url}`);
  return { baseUrl: sandbox.url, apiKey: sandbox.apiKey, close: () => sandbox.close() };
}

async function main(argv: string[]): Promise<void> {
  if (wantsHelp(argv)) {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig(argv, process.env, TOOL_NAMES);
  setLogLevel(config.logLevel);
  registerSecret(config.apiKey);
  const target = await upstream(config);
  registerSecret(target?.apiKey);
  const moco =
    target &&
    new MocoClient({
      baseUrl: target.baseUrl,
      apiKey: target.apiKey,
      userAgent: USER_AGENT,
      requestTimeoutMs: config.requestTimeoutMs,
      rateLimit: config.rateLimit,
    });
  const cleanup = async () => {
    await moco?.close();
    await target?.close();
  };
  if (config.transport === "http") {
    const { serveHttp } = await import("./transports/http.js");
    await serveHttp(
      config,
      {
        moco,
        version: VERSION,
        makeClient: (baseUrl, apiKey, dispatcher) =>
          new MocoClient({
            baseUrl,
            apiKey,
            userAgent: USER_AGENT,
            requestTimeoutMs: config.requestTimeoutMs,
            rateLimit: config.rateLimit,
            dispatcher,
          }),
      },
      cleanup,
    );
    return;
  }
  if (!moco) throw new Error("stdio needs MOCO credentials");
  await serveStdio(createServer({ moco, config, version: VERSION }), cleanup);
  log("info", `v${VERSION} ready on stdio${config.readOnly ? " (read-only)" : ""}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`moco-leads-mcp: ${error.message}\n`);
  } else {
    log("error", `could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
});
