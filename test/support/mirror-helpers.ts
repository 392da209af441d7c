import { LeadMirror, type MirrorOptions } from "../../src/leads/mirror/index.js";
import { MocoClient } from "../../src/moco/client.js";
import { MocoError } from "../../src/moco/errors.js";
import { createLead, parseLead } from "../../src/moco/leads.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import type { Lead } from "../../src/moco/schemas.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";
import { openStore } from "../../src/store/index.js";
import type { LeadStore, StoreLocation } from "../../src/store/types.js";

/** The sandbox over real TCP, the real undici client, a real store, and a mirror over them. */
export const MIRROR_KEY = "mirror-test-key-8c41d0e97a2f";

export interface MirrorEnv {
  sandbox: Sandbox;
  moco: MocoClient;
  store: LeadStore;
  mirror: LeadMirror;
  /** GET /deals requests the sandbox answered so far. */
  dealRequests(): number;
  close(): Promise<void>;
}

export interface EnvOptions {
  sandbox?: SandboxOptions;
  location?: StoreLocation;
  mirror?: Partial<MirrorOptions>;
  client?: {
    requestTimeoutMs?: number;
    maxRetries?: number;
    rateLimit?: { limit: number; windowMs: number };
  };
}

export function makeClient(sandbox: Sandbox, options: EnvOptions["client"] = {}): MocoClient {
  return new MocoClient({
    baseUrl: sandbox.url,
    apiKey: sandbox.apiKey,
    userAgent: "moco-leads-mcp-test",
    requestTimeoutMs: options.requestTimeoutMs ?? 5000,
    budget: new RateLimiter(options.rateLimit ?? { limit: 100_000, windowMs: 120_000 }),
    maxRetries: options.maxRetries ?? 0,
    retryBaseMs: 5,
    retryMaxMs: 20,
  });
}

export async function startEnv(options: EnvOptions = {}): Promise<MirrorEnv> {
  const sandbox = await startSandbox({ apiKey: MIRROR_KEY, ...options.sandbox });
  const moco = makeClient(sandbox, options.client);
  const store = await openStore(options.location ?? { kind: "memory" });
  const mirror = new LeadMirror({
    store,
    moco,
    pageWaitMs: 10_000,
    ...options.mirror,
  });
  return {
    sandbox,
    moco,
    store,
    mirror,
    dealRequests: () => sandbox.requests.filter((r) => r.method === "GET" && r.path === "/deals").length,
    async close() {
      mirror.close();
      await store.close();
      await moco.close();
      await sandbox.close();
    },
  };
}

/** The account's leads exactly as a fresh full scan through the API would return them. */
export function apiLeads(sandbox: Sandbox): Lead[] {
  return sandbox.store.deals
    .map((d) => parseLead(JSON.parse(JSON.stringify(sandbox.store.dealJson(d)))))
    .sort((a, b) => a.id - b.id);
}

/** A create MOCO carries out whose answer is lost: the client reports a write of unknown outcome. */
export async function lostCreate(moco: MocoClient, sandbox: Sandbox, name: string): Promise<number> {
  const { store } = sandbox;
  sandbox.faults.push({ kind: "reset_after_commit", method: "POST", path: "/deals" });
  const body = {
    name,
    currency: "EUR",
    money: 1234,
    reminder_date: store.today,
    user_id: store.profileUserId,
    deal_category_id: store.categories[0]?.id,
  };
  const error = await createLead(moco, body).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MocoError && error.mayHaveSucceeded)) throw new Error(`not a lost create: ${error}`);
  const made = store.deals.filter((d) => d.name === name);
  if (made.length !== 1) throw new Error(`MOCO holds ${made.length} leads named ${name}`);
  return made[0]?.id as number;
}
