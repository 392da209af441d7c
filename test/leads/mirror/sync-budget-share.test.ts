import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LeadMirror, MirrorRegistry } from "../../../src/leads/mirror/index.js";
import { apiPath, MocoClient } from "../../../src/moco/client.js";
import { RateLimiter } from "../../../src/moco/rate-limit.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { openStore } from "../../../src/store/index.js";
import { type MakeClient, TenantClients } from "../../../src/transports/http/tenants.js";
import { makeClient } from "../../support/mirror-helpers.js";

/**
 * A sync keeps to its share of MOCO's rate limit (75 % by default) in every window, so interactive
 * calls on the same key still get through while a long first sync runs. Small numbers: 8 requests
 * per 1 s window (6 for the sync), 1,200 leads (13 requests). MOCO counts per account, so the syncs of
 * several keys of one account keep to one share together.
 */
const KEY = "sync-share-key-0b9e";
const RATE = { limit: 8, windowMs: 1000 };

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

/** When each request reached the sandbox (ms), in arrival order next to `sandbox.requests`. */
function timed(sandbox: Sandbox): number[] {
  const times: number[] = [];
  const requests = sandbox.requests;
  const push = requests.push.bind(requests);
  requests.push = (...items) => {
    for (const _ of items) times.push(performance.now());
    return push(...items);
  };
  return times;
}

/** The most requests of `indexes` in any window of `windowMs`. */
function busiest(times: number[], indexes: number[], windowMs: number): number {
  const at = indexes.map((i) => times[i] as number).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < at.length; j++) {
    while ((at[j] as number) - (at[i] as number) >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

/**
 * One MOCO account with several keys in front of the sandbox, which knows only one: a forwarding proxy
 * that lets each of `keys` in as the sandbox's key (MOCO would tell them apart; the budget cannot).
 */
async function oneAccount(
  sandbox: Sandbox,
  keys: string[],
): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(sandbox.url);
  const server = createServer((req, res) => {
    const headers = { ...req.headers };
    if (keys.some((key) => headers.authorization === `Token token=${key}`))
      headers.authorization = `Token token=${sandbox.apiKey}`;
    const { hostname, port } = target;
    const out = request({ hostname, port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("a sync keeps to its share of MOCO's budget", () => {
  it("at most 75 % of the limit in any window; an interactive call meanwhile is answered at once", async () => {
    const sandbox = await startSandbox({ apiKey: KEY, leads: 1200, rateLimit: RATE });
    const times = timed(sandbox);
    const moco = makeClient(sandbox, { rateLimit: RATE });
    const store = await openStore({ kind: "memory" });
    const mirror = new LeadMirror({ store, moco, pageWaitMs: 10_000 });
    open.push(async () => {
      mirror.close();
      await store.close();
      await moco.close();
      await sandbox.close();
    });
    const sync = mirror.sync();
    // Once the sync has had its first window's worth, a call of our own: it must not wait a window.
    await expect.poll(() => sandbox.requests.length, { timeout: 5000 }).toBeGreaterThanOrEqual(6);
    const lead = sandbox.store.deals[0]?.id as number;
    const asked = performance.now();
    await moco.get(apiPath("deals", lead), { deadline: Date.now() + 5000 });
    const waited = performance.now() - asked;
    await sync;
    const own = sandbox.requests.findIndex((r) => r.path === `/deals/${lead}`);
    const syncs = sandbox.requests.map((_, i) => i).filter((i) => i !== own);
    expect(syncs.length).toBe(13);
    expect(busiest(times, syncs, RATE.windowMs)).toBeLessThanOrEqual(6);
    expect(sandbox.stats.rateLimited).toBe(0);
    // Generous: a call that had to wait for the sync's window would take most of a second.
    expect(waited).toBeLessThan(500);
    expect((await mirror.read()).leads).toHaveLength(1200);
  });

  it("the syncs of two keys of one account keep to ONE 75 % share together; an interactive call on either is answered at once", async () => {
    const sandbox = await startSandbox({ apiKey: KEY, leads: 1200, rateLimit: RATE });
    const times = timed(sandbox);
    const keys = ["share-key-anna-51c2", "share-key-ben-a7e0"];
    const proxy = await oneAccount(sandbox, keys);
    // As a team server makes them (src/index.ts): each key its own budget, its account's shared.
    const make: MakeClient = (baseUrl, apiKey, shared) =>
      new MocoClient({
        baseUrl,
        apiKey,
        userAgent: "moco-leads-mcp-test",
        requestTimeoutMs: 5000,
        budget: new RateLimiter(RATE),
        maxRetries: 0,
        ...shared,
      });
    const tenants = new TenantClients(make, { allowBaseUrlHeader: true, rateLimit: RATE });
    const clients = keys.map((key) => {
      const tenant = tenants.forAccount(proxy.url, key);
      if (!tenant.ok) throw new Error(tenant.message);
      return tenant.client;
    });
    const store = await openStore({ kind: "memory" });
    const registry = new MirrorRegistry({ store, pageWaitMs: 10_000 });
    open.push(async () => {
      registry.close();
      await store.close();
      await tenants.close();
      await proxy.close();
      await sandbox.close();
    });
    const mirrors = clients.map((moco) => registry.forClient(moco));
    expect(new Set(mirrors.map((m) => m.scope)).size).toBe(2);
    const syncs = Promise.all(mirrors.map((m) => m.sync()));
    await expect.poll(() => sandbox.requests.length, { timeout: 5000 }).toBeGreaterThanOrEqual(6);
    const leads = [0, 1].map((i) => sandbox.store.deals[i]?.id as number);
    const waited: number[] = [];
    for (const [i, moco] of clients.entries()) {
      const asked = performance.now();
      await moco.get(apiPath("deals", leads[i] as number), { deadline: Date.now() + 5000 });
      waited.push(performance.now() - asked);
    }
    await syncs;
    const own = new Set(leads.map((id) => `/deals/${id}`));
    const synced = sandbox.requests.map((_, i) => i).filter((i) => !own.has(sandbox.requests[i]?.path ?? ""));
    expect(synced.length).toBe(26);
    // Each key's own share would let 6 + 6 through, up to the account's 8.
    expect(busiest(times, synced, RATE.windowMs)).toBeLessThanOrEqual(6);
    expect(sandbox.stats.rateLimited).toBe(0);
    // Generous: a call that had to wait for the syncs' window would take most of a second.
    for (const ms of waited) expect(ms).toBeLessThan(500);
    for (const mirror of mirrors) expect((await mirror.read()).leads).toHaveLength(1200);
    expect(registry.accountShares).toBe(1);
  });
});
