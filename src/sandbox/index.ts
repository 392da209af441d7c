// The MOCO-compatible sandbox: a seeded in-memory MOCO account behind a real HTTP server, for the demo
// mode, the tests and the benchmarks. startSandbox() is the whole public surface.

import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { isValidDate } from "./dates.js";
import type { Fault } from "./faults.js";
import { SlidingWindow } from "./rate-limit.js";
import { API_PREFIX, createRequestHandler, type RecordedRequest, type SandboxStats } from "./server.js";
import { createStore, type SandboxStore } from "./store.js";

export type { Fault, FaultKind } from "./faults.js";
export { parseFaultsEnv } from "./faults.js";
export type { RecordedRequest, SandboxStats } from "./server.js";
export type { DealJson, SandboxStore } from "./store.js";
export type { DealRecord, DealStatus } from "./types.js";
export type { HookDelivery, HookTamper, WebHookRecord, WebHooks } from "./web-hooks.js";

export interface SandboxOptions {
  /** The API key clients must present. Default "sandbox-key". */
  apiKey?: string;
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** "YYYY-MM-DD"; default the current UTC date. Seed dates lie around it; a lead won without a date closes on it. */
  today?: string;
  /** Default true. false: the key's user lacks the Staff permission, so GET /users answers 403 (empty body). */
  staff?: boolean;
  /** A sliding-window limit enforced like MOCO's: 429 {"message":"Too many requests"}, no Retry-After. */
  rateLimit?: { limit: number; windowMs: number };
  /** The initial fault plan; see Fault. */
  faults?: Fault[];
  /** true: every POST/PUT/PATCH/DELETE answers 403 with an empty body, like a read-only account key. */
  readOnlyKey?: boolean;
  /** How many leads to seed (default 264); the same count and `today` always give the same account. */
  leads?: number;
  /**
   * Response headers the sandbox never sends, e.g. ["X-Total"] or all paging headers, to play a MOCO
   * that omits them (clients must cope: /deal_categories was seen without any).
   */
  omitHeaders?: string[];
  /** The secret MOCO would show for the account's webhooks (32 hex); default a random one. */
  webhookSecret?: string;
}

export interface Sandbox {
  /** Base URL including "/api/v1", e.g. "http://127.0.0.1:43125/api/v1". */
  url: string;
  apiKey: string;
  /** The in-memory account, for assertions. */
  store: SandboxStore;
  /** The live fault plan: push at any time; used-up faults are removed. */
  faults: Fault[];
  /** Every request that reached the server, in arrival order (including 401s). */
  requests: RecordedRequest[];
  stats: SandboxStats;
  /**
   * Set true to revoke the key as an admin would in MOCO: from then on every request answers 401
   * {"message":"Unauthorized"}, as MOCO does for an unknown key. Set false to accept it again.
   */
  keyRevoked: boolean;
  /** Stops listening and destroys open sockets, so no test waits on a keep-alive connection. */
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  if (options.today !== undefined && !isValidDate(options.today)) {
    throw new Error(`startSandbox: today must be a date YYYY-MM-DD, got "${options.today}"`);
  }
  if (options.leads !== undefined && !(Number.isSafeInteger(options.leads) && options.leads >= 0)) {
    throw new Error(`startSandbox: leads must be a whole number >= 0, got ${options.leads}`);
  }
  const store = createStore({
    today: options.today,
    leads: options.leads,
    webhookSecret: options.webhookSecret,
  });
  const apiKey = options.apiKey ?? "sandbox-key";
  const host = options.host ?? "127.0.0.1";
  const shutdown = new AbortController();
  const sockets = new Set<Socket>();
  let closing: Promise<void> | undefined;

  const server = createServer();
  const sandbox: Sandbox = {
    url: "",
    apiKey,
    store,
    faults: [...(options.faults ?? [])],
    requests: [],
    stats: { requests: 0, rateLimited: 0, maxConcurrent: 0 },
    keyRevoked: false,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
  const { rateLimit } = options;
  server.on(
    "request",
    createRequestHandler({
      store,
      apiKey,
      staff: options.staff ?? true,
      readOnlyKey: options.readOnlyKey ?? false,
      limiter: rateLimit ? new SlidingWindow(rateLimit.limit, rateLimit.windowMs) : undefined,
      live: sandbox, // the Sandbox object itself, so tests that replace its arrays are still heard
      omitHeaders: new Set((options.omitHeaders ?? []).map((h) => h.toLowerCase())),
      shutdown: shutdown.signal,
    }),
  );
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  sandbox.url = `http://${host.includes(":") ? `[${host}]` : host}:${port}${API_PREFIX}`;
  store.webHooks.accountUrl = new URL(sandbox.url).origin;
  return sandbox;
}
