import module from "node:module";
import { type Config, ConfigError, HELP, loadConfig, wantsHelp } from "./config.js";
import type { MirrorRegistry } from "./leads/mirror.js";
import { log, registerSecret, setLogLevel } from "./log.js";
import { createServer, SANDBOX_NOTICE } from "./mcp/server.js";
import { MocoClient } from "./moco/client.js";
import { describeLocation } from "./store/location.js";
import { TOOL_NAMES } from "./tools/index.js";
import type { MakeClient } from "./transports/http-tenants.js";
import { reportUnfinished } from "./transports/shutdown.js";
import { serveStdio } from "./transports/stdio.js";
import { USER_AGENT, VERSION } from "./version.js";

/** The bin: flags and environment → config → MOCO client → a transport. Nothing else. */

interface Target {
  baseUrl: string;
  apiKey: string;
  close: () => Promise<void>;
}

/** The account the server itself talks to: the one configured, or a sandbox started here. */
async function target(config: Config): Promise<Target | undefined> {
  const { upstream } = config;
  if (upstream.kind === "per-request") return undefined;
  if (upstream.kind === "account") return { ...upstream, close: async () => {} };
  const { startSandbox, parseFaultsEnv } = await import("./sandbox/index.js");
  const faults = process.env.MOCO_SANDBOX_FAULTS;
  const sandbox = await startSandbox({
    rateLimit: { limit: config.rateLimit.limit, windowMs: config.rateLimit.windowMs },
    faults: faults ? parseFaultsEnv(faults) : [],
  });
  log("info", `${SANDBOX_NOTICE} serving a built-in MOCO sandbox at ${sandbox.url}`);
  return { baseUrl: sandbox.url, apiKey: sandbox.apiKey, close: () => sandbox.close() };
}

/**
 * The lead mirrors, one per credential scope, opened on first use (node:sqlite and the mirror code
 * stay out of the start, so the server answers at once); undefined when the store is off. A store
 * that cannot be opened warns once and reads stay live.
 */
function mirrorsFor(config: Config) {
  if (config.store.kind === "off") {
    log("info", "lead store: off (MOCO_STORE=off); searches and summaries read MOCO live");
    return undefined;
  }
  const setting = config.store;
  log("info", `lead store: ${describeLocation(setting)} (opened on first use)`);
  let opened: Promise<{ registry: MirrorRegistry; close: () => Promise<void> } | undefined> | undefined;
  const open = () =>
    (opened ??= (async () => {
      const [{ openStore }, { MirrorRegistry }] = await Promise.all([
        import("./store/index.js"),
        import("./leads/mirror.js"),
      ]);
      const store = await openStore(setting);
      const registry = new MirrorRegistry({
        store,
        freshMs: config.storeFreshSeconds * 1000,
        retentionDays: config.storeRetentionDays,
      });
      const close = async () => {
        registry.close();
        await store.close();
      };
      return { registry, close };
    })().catch((error: unknown) => {
      log(
        "warn",
        `lead store unavailable (${error instanceof Error ? error.message : String(error)}); reads stay live`,
      );
      return undefined;
    }));
  // Asking for it (the first search or summary) is what opens the store.
  const registry = async () => (await open())?.registry;
  return { registry, close: async () => (await opened)?.close() };
}

/**
 * V8's compile cache (the bin turns it on) is written once the server is up and its start-up code is
 * compiled, not only at a clean exit: hosts often end a server with a kill. Node writes only what is
 * new, so a start that found its cache writes nothing.
 */
const keepCompiledCode = () => setImmediate(() => module.flushCompileCache?.());

async function main(argv: string[]): Promise<void> {
  if (wantsHelp(argv)) {
    process.stdout.write(HELP);
    return;
  }
  if (argv[0] === "store") {
    const { storeCommand } = await import("./store/cli.js");
    process.exitCode = await storeCommand(argv.slice(1), process.env);
    return;
  }
  const config = loadConfig(argv, process.env, TOOL_NAMES);
  setLogLevel(config.logLevel);
  const store = mirrorsFor(config);
  const mirrors = store?.registry;
  const account = await target(config);
  registerSecret(account?.apiKey);
  const makeClient: MakeClient = (baseUrl, apiKey, shared) =>
    new MocoClient({
      baseUrl,
      apiKey,
      userAgent: USER_AGENT,
      requestTimeoutMs: config.requestTimeoutMs,
      rateLimit: config.rateLimit,
      ...shared,
    });
  const moco = account && makeClient(account.baseUrl, account.apiKey);
  const cleanup = async (graceMs = config.shutdownGraceMs) => {
    // Writes already sent to MOCO may finish (bounded); those that cannot are named in the log.
    if (moco) reportUnfinished(await moco.drain(graceMs));
    await moco?.close();
    await store?.close();
    await account?.close();
  };
  if (config.transport === "http") {
    const { serveHttp } = await import("./transports/http.js");
    const oauthConfig = config.http.oauth;
    if (oauthConfig) {
      // Loaded only with --oauth: Express and the SDK's auth handlers stay out of every other start.
      const { createOAuth } = await import("./oauth/index.js");
      for (const secret of oauthConfig.secrets) registerSecret(secret);
      const oauth = await createOAuth({
        publicUrl: oauthConfig.publicUrl,
        store: { sqlitePath: oauthConfig.dbPath },
        secrets: oauthConfig.secrets,
        subdomains: oauthConfig.subdomains,
        // --sandbox --oauth: a demo in which every sign-in goes to the built-in sandbox.
        loopbackBaseUrl: config.upstream.kind === "sandbox" ? account?.baseUrl : undefined,
        readOnly: config.readOnly,
        redirectUris: oauthConfig.redirectUris,
        trustProxy: oauthConfig.trustProxy,
        userAgent: USER_AGENT,
        requestTimeoutMs: config.requestTimeoutMs,
      });
      await serveHttp(
        config,
        { upstream: { kind: "oauth", oauth, makeClient }, mirrors, version: VERSION },
        cleanup,
      );
      keepCompiledCode();
      return;
    }
    const upstream = moco ? { kind: "fixed" as const, moco } : { kind: "per-request" as const, makeClient };
    await serveHttp(config, { upstream, mirrors, version: VERSION }, cleanup);
    keepCompiledCode();
    return;
  }
  if (!moco) throw new ConfigError(["stdio needs MOCO credentials of its own"]);
  await serveStdio(
    createServer({ moco, mirrors, config, version: VERSION }),
    cleanup,
    config.shutdownGraceMs,
  );
  keepCompiledCode();
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
