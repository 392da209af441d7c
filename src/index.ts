import module from "node:module";
import {
  type AccountUpstream,
  type Config,
  ConfigError,
  type HttpConfig,
  loadConfig,
  type OAuthConfig,
  type SandboxUpstream,
  wantsHelp,
} from "./config.js";
import { HELP } from "./help.js";
import type { MirrorRegistry } from "./leads/mirror/index.js";
import { log, registerSecret, setLogLevel } from "./log.js";
import { createServer, SANDBOX_NOTICE } from "./mcp/server.js";
import { withAccount } from "./moco/budget.js";
import { MocoClient } from "./moco/client.js";
import { RateLimiter } from "./moco/rate-limit.js";
import { sharedBudgets } from "./store/budget.js";
import { describeLocation } from "./store/location.js";
import { selectTools, TOOL_NAMES } from "./tools/index.js";
import type { Clients, MakeClient } from "./transports/http/index.js";
import { reportUnfinished } from "./transports/shutdown.js";
import { serveStdio } from "./transports/stdio.js";
import { USER_AGENT, VERSION } from "./version.js";

/** The bin: flags and environment → config → MOCO client(s) → a transport. Nothing else. */

interface Target {
  baseUrl: string;
  apiKey: string;
  close: () => Promise<void>;
}

/** The account the server itself talks to: the one configured, or a sandbox started here. */
async function target(config: Config, upstream: SandboxUpstream | AccountUpstream): Promise<Target> {
  if (upstream.kind === "account") {
    registerSecret(upstream.apiKey);
    return { ...upstream, close: async () => {} };
  }
  const { startSandbox, parseFaultsEnv } = await import("./sandbox/index.js");
  const faults = process.env.MOCO_SANDBOX_FAULTS;
  const sandbox = await startSandbox({
    rateLimit: { limit: config.rateLimit.limit, windowMs: config.rateLimit.windowMs },
    faults: faults ? parseFaultsEnv(faults) : [],
  });
  log("info", `${SANDBOX_NOTICE} serving a built-in MOCO sandbox at ${sandbox.url}`);
  registerSecret(sandbox.apiKey);
  return { baseUrl: sandbox.url, apiKey: sandbox.apiKey, close: () => sandbox.close() };
}

/** The server's own MOCO client, and how to let it go: writes already sent may finish (bounded). */
async function ownMoco(config: Config, upstream: SandboxUpstream | AccountUpstream, makeClient: MakeClient) {
  const account = await target(config, upstream);
  const moco = makeClient(account.baseUrl, account.apiKey);
  const close = async (graceMs = config.shutdownGraceMs) => {
    // Those that cannot finish are named in the log.
    reportUnfinished(await moco.drain(graceMs));
    await moco.close();
    await account.close();
  };
  return { moco, close };
}

/**
 * Where each HTTP request's MOCO client comes from, one case per upstream; with OAuth, the front
 * door too. Express and the SDK's auth handlers are loaded only with --oauth.
 */
async function httpClients(
  config: HttpConfig,
  makeClient: MakeClient,
): Promise<{ clients: Clients; close: () => Promise<void>; own?: MocoClient }> {
  const { ownClient, headerClients, grantClients } = await import("./transports/http/index.js");
  const { upstream } = config;
  const none = async () => {};
  switch (upstream.kind) {
    case "per-request":
      return { clients: headerClients(makeClient, upstream, config.rateLimit), close: none };
    case "oauth": {
      const oauth = await openOAuth(config, upstream.oauth, undefined);
      return { clients: grantClients(oauth, makeClient, upstream.oauth, config.rateLimit), close: none };
    }
    case "sandbox": {
      if (!upstream.oauth) break;
      // --sandbox --oauth: a demo in which every sign-in goes to the built-in sandbox.
      const sandbox = await target(config, { kind: "sandbox" });
      const oauth = await openOAuth(config, upstream.oauth, sandbox.baseUrl);
      return {
        clients: grantClients(oauth, makeClient, upstream.oauth, config.rateLimit),
        close: sandbox.close,
      };
    }
  }
  const own = await ownMoco(config, upstream, makeClient);
  return { clients: ownClient(own.moco), close: own.close, own: own.moco };
}

async function openOAuth(config: HttpConfig, settings: OAuthConfig, loopbackBaseUrl: string | undefined) {
  const { createOAuth } = await import("./oauth/index.js");
  for (const secret of settings.secrets) registerSecret(secret);
  // A team server on PostgreSQL keeps its grants there too, unless MOCO_OAUTH_DB sets them apart.
  const store =
    config.store.kind === "postgres" && !settings.dbPathGiven
      ? await (await import("./store/postgres/grants.js")).PostgresGrantStore.open(config.store)
      : { sqlitePath: settings.dbPath };
  return createOAuth({
    publicUrl: settings.publicUrl,
    store,
    secrets: settings.secrets,
    subdomains: settings.subdomains,
    loopbackBaseUrl,
    readOnly: config.readOnly,
    redirectUris: settings.redirectUris,
    trustProxy: settings.trustProxy,
    userAgent: USER_AGENT,
    requestTimeoutMs: config.requestTimeoutMs,
  });
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
        import("./leads/mirror/index.js"),
      ]);
      const store = await openStore(setting);
      const registry = new MirrorRegistry({
        store,
        freshMs: config.storeFreshSeconds * 1000,
        retentionDays: config.storeRetentionDays,
        answerWithinMs: config.storeAnswerSeconds * 1000,
        leaseMs: config.storeLeaseSeconds * 1000,
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
  if (argv[0] === "webhooks") {
    const { webhooksCommand } = await import("./webhooks/cli.js");
    process.exitCode = await webhooksCommand(argv.slice(1), process.env, USER_AGENT);
    return;
  }
  const config = loadConfig(argv, process.env, TOOL_NAMES);
  const { webhookSecrets } = await import("./webhooks/settings.js");
  const problems: string[] = [];
  const hookSecrets = webhookSecrets(process.env.MOCO_WEBHOOK_SECRET, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  for (const secret of hookSecrets) registerSecret(secret);
  setLogLevel(config.logLevel);
  const store = mirrorsFor(config);
  const mirrors = store?.registry;
  // With a store other processes see (a file, PostgreSQL), each MOCO account's budget is kept there.
  const budgets = sharedBudgets(config.store, config.rateLimit);
  const makeClient: MakeClient = (baseUrl, apiKey, shared) => {
    const account = budgets?.forAccount(baseUrl);
    return new MocoClient({
      baseUrl,
      apiKey,
      userAgent: USER_AGENT,
      requestTimeoutMs: config.requestTimeoutMs,
      budget: account && !shared ? account : new RateLimiter(config.rateLimit),
      ...shared,
      ...(account && shared ? { accountBudget: withAccount(shared.accountBudget, account) } : {}),
    });
  };
  if (config.transport === "http") {
    const { serveHttp } = await import("./transports/http/index.js");
    const { clients, close, own } = await httpClients(config, makeClient);
    const webhooks =
      hookSecrets.length > 0
        ? (await import("./webhooks/index.js")).accountReceiver(hookSecrets, own, async (moco) =>
            (await mirrors?.())?.forClient(moco),
          )
        : undefined;
    const cleanup = async () => {
      await close();
      await store?.close();
      await budgets?.close();
    };
    await serveHttp(
      config,
      { clients, mirrors, version: VERSION, tools: selectTools(config), webhooks },
      cleanup,
    );
    keepCompiledCode();
    return;
  }
  const own = await ownMoco(config, config.upstream, makeClient);
  const cleanup = async (graceMs = config.shutdownGraceMs) => {
    await own.close(graceMs);
    await store?.close();
    await budgets?.close();
  };
  await serveStdio(
    createServer({ moco: own.moco, mirrors, config, version: VERSION, tools: selectTools(config) }),
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
