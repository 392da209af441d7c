import type { IncomingMessage, ServerResponse } from "node:http";
import { log } from "../log.js";
import { pool } from "../moco/client.js";
import { type Authenticated, bearerCheck, type Refused } from "./bearer.js";
import { ClientsStore } from "./clients.js";
import { Keyring } from "./crypto.js";
import { SignInFlow } from "./flow.js";
import { Grants } from "./grants.js";
import { Limits } from "./limits.js";
import { type OAuthOptions, resolveOptions } from "./options.js";
import { Provider } from "./provider.js";
import { RegistrationGate } from "./registration.js";
import { discovery, PATHS, router, sdkApp } from "./routes.js";
import { SqliteGrantStore } from "./sqlite-store.js";
import type { GrantStore } from "./store.js";

/**
 * OAuth for --transport http --oauth: this server is the authorization server (RFC 8414, the
 * SDK's handlers behind our provider) and the resource server (RFC 9728 metadata, bearer check)
 * for its own /mcp. The HTTP transport calls handle() first and authenticate() before MCP.
 * Import this module lazily: nothing of it (Express included) should load without --oauth.
 */

export type { Authenticated, Refused } from "./bearer.js";
export type { OAuthOptions } from "./options.js";
export { secretsFromEnv } from "./options.js";
export { SqliteGrantStore } from "./sqlite-store.js";
export type { GrantStore } from "./store.js";

export interface OAuth {
  /** Serves the OAuth paths; false (nothing written) for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  authenticate(req: IncomingMessage): Promise<Authenticated | Refused>;
  /** The paths handle() serves, for logs and docs. */
  readonly paths: readonly string[];
  /** For tests and operators: the store behind it. */
  readonly store: GrantStore;
  close(): Promise<void>;
}

export async function createOAuth(options: OAuthOptions): Promise<OAuth> {
  const o = resolveOptions(options);
  const keys = new Keyring(options.secrets);
  const store: GrantStore =
    "sqlitePath" in options.store ? await SqliteGrantStore.open(options.store.sqlitePath) : options.store;
  log(
    "info",
    `oauth: grants kept in ${"sqlitePath" in options.store ? options.store.sqlitePath : (store.where ?? "the store given to createOAuth")}`,
  );
  const upstream = pool(16, 10_000);
  const grants = new Grants(store, keys, o);
  const limits = new Limits(store, keys, o.now);
  const clients = new ClientsStore(
    store,
    keys,
    { extra: options.redirectUris ?? [], loopback: options.allowLoopbackRedirects ?? true },
    options.maxClients ?? 1000,
    o.now,
  );
  const flow = new SignInFlow({
    store,
    keys,
    grants,
    clients: () => clients,
    o,
    subdomains: options.subdomains,
    loopbackBaseUrl: options.loopbackBaseUrl,
    readOnly: options.readOnly ?? false,
    userAgent: options.userAgent,
    requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
    pool: upstream,
    signInsPer15Minutes: options.signInsPer15Minutes ?? 20,
    limits,
    trustProxy: options.trustProxy,
  });
  const provider = new Provider(clients, grants, flow, o);

  await reseal(store, keys);
  const purge = () =>
    store
      .purge(o.now(), o.now() - o.codeTtlMs)
      .catch((e: unknown) => log("warn", `oauth: purge failed: ${String(e)}`));
  await purge();
  const timer = setInterval(purge, 10 * 60_000);
  timer.unref();

  const handle = router({
    o,
    allowedHosts: options.allowedHosts ?? [],
    documents: discovery(provider, o),
    flow,
    app: sdkApp(provider, o, options),
    registration: new RegistrationGate(
      clients,
      {
        perAddressPerHour: options.registrationsPerHour ?? 60,
        perMinute: options.registrationsPerMinute ?? 15,
        trustProxy: options.trustProxy,
      },
      limits,
    ),
  });
  const authenticate = bearerCheck(grants, keys, store, o);

  return {
    handle,
    authenticate,
    paths: PATHS,
    store,
    async close() {
      clearInterval(timer);
      await upstream.close(false);
      await store.close();
    },
  };
}

/** Seals every stored MOCO key under the current secret, so an old secret can be dropped. */
async function reseal(store: GrantStore, keys: Keyring): Promise<void> {
  let count = 0;
  for (const grant of await store.listGrants()) {
    if (!keys.isStale(grant.keySealed)) continue;
    const key = keys.open(grant.keySealed, `grant:${grant.id}`);
    if (key === undefined) continue;
    await store.resealGrant(grant.id, keys.seal(key, `grant:${grant.id}`));
    count++;
  }
  if (count > 0) log("info", `oauth: ${count} stored MOCO keys sealed anew under the current secret`);
}
