import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeadMirror } from "../../src/leads/mirror/index.js";
import { setLogLevel } from "../../src/log.js";
import { updateLead } from "../../src/moco/leads.js";
import { openStore, resolveStoreSetting } from "../../src/store/index.js";
import { PostgresGrantStore } from "../../src/store/postgres/grants.js";
import type { PostgresLocation } from "../../src/store/postgres/setting.js";
import type { LeadStore, StoreLocation } from "../../src/store/types.js";
import { StoreUnavailableError } from "../../src/store/types.js";
import { apiLeads, type MirrorEnv, makeClient, startEnv } from "../support/mirror-helpers.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "./postgres-support.js";
import { startProxy, type TcpProxy } from "./tcp-proxy.js";

/**
 * The PostgreSQL lead store while its database cannot be reached, and after: unavailable (callers read
 * MOCO live), tried again every few seconds when asked, used again once it answers without a restart,
 * and a mirror then syncs before it answers (writes made meanwhile reached MOCO, not the store). The
 * database is reached through a TCP proxy the tests cut and restore.
 */
const skip = await skipReason();
const schema = randomSchema();
afterAll(async () => {
  if (skip === undefined) await dropSchema(schema);
});

let stderr: string[] = [];
let proxy: TcpProxy | undefined;
let env: MirrorEnv | undefined;
const stores: LeadStore[] = [];
beforeEach(() => {
  stderr = [];
  setLogLevel("info");
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  setLogLevel("error");
  for (const s of stores.splice(0)) await s.close();
  await env?.close();
  env = undefined;
  await proxy?.close();
});
const lines = (text: string) => stderr.filter((line) => line.includes(text));

/** The store's location, reached through a fresh proxy to the test database. */
async function throughProxy(): Promise<StoreLocation> {
  const target = new URL(storeUrl(schema));
  proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
  target.hostname = "127.0.0.1";
  target.port = String(proxy.port);
  return resolveStoreSetting(target.toString()) as StoreLocation;
}

/** Asks the store whether it is ready until it is (the way /readyz asks), for at most `ms`. */
async function readyWithin(store: LeadStore, ms: number): Promise<number> {
  const start = Date.now();
  while ((await store.ready()) !== undefined) {
    if (Date.now() - start > ms) throw new Error(`the store was not ready again within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - start;
}

describe.skipIf(skip !== undefined)("the PostgreSQL stores through an outage", () => {
  it("is unavailable while the database is gone and used again once it answers: one line each way", async () => {
    const store = await openStore(await throughProxy());
    stores.push(store);
    expect(store.available, store.problem).toBe(true);
    await store.ensureScope("outage", "https://x");
    expect(store.outages ?? 0).toBe(0);

    await proxy?.cut();
    await expect(store.getScope("outage")).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.available).toBe(false);
    expect(store.problem).toMatch(/cannot be used/);
    expect(await store.ready()).toBe("lead store unavailable");
    // Every call meanwhile is refused at once, and the loss is said once.
    for (let i = 0; i < 20; i++)
      await expect(store.loadLeads("outage")).rejects.toBeInstanceOf(StoreUnavailableError);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await store.ready()).toBe("lead store unavailable");
    expect(lines("cannot be used")).toHaveLength(1);
    expect(lines("cannot be used")[0]).toContain("until it answers again");

    await proxy?.restore();
    const took = await readyWithin(store, 15_000);
    console.log(`the store was ready again ${took} ms after the database came back`);
    expect(store.available, store.problem).toBe(true);
    expect(store.problem).toBeUndefined();
    expect(store.outages).toBe(1);
    expect((await store.getScope("outage"))?.baseUrl).toBe("https://x");
    expect(lines("answers again after")).toHaveLength(1);
    expect(lines("cannot be used")).toHaveLength(1);
  }, 30_000);

  it("a mirror syncs before it answers again: a write made during the outage is in its answer", async () => {
    env = await startEnv({ location: await throughProxy(), sandbox: { leads: 40 } });
    const { mirror, moco, sandbox, store } = env;
    const first = await mirror.read();
    expect(first.leads).toEqual(apiLeads(sandbox));

    await proxy?.cut();
    const [deal] = sandbox.store.deals;
    if (!deal) throw new Error("no lead");
    // Our own write: MOCO takes it, the mirror cannot (what update_lead does, through remember()).
    const written = await updateLead(moco, deal.id, { name: "Renamed while the store was away" });
    expect(await mirror.applyWrite(written)).toBe(false);
    await expect(mirror.read()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(mirror.available).toBe(false);

    await proxy?.restore();
    await readyWithin(store, 15_000);
    // Still well inside the freshness window (30 s): only the outage makes it sync.
    const before = env.dealRequests();
    const after = await mirror.read();
    expect(after.sync).toBeDefined();
    expect(env.dealRequests()).toBeGreaterThan(before);
    expect(after.leads.find((l) => l.id === deal.id)?.name).toBe("Renamed while the store was away");
    expect(after.leads).toEqual(apiLeads(sandbox));
    // One sync per outage: the next read answers from the copy.
    const again = await mirror.read();
    expect(again.sync).toBeUndefined();
  }, 30_000);

  it("an instance that made no store call during another's outage still syncs before answering: the other's write is in its answer", async () => {
    const HOUR = 3_600_000;
    env = await startEnv({
      location: await throughProxy(),
      sandbox: { leads: 40 },
      mirror: { freshMs: HOUR },
    });
    const { mirror: a, moco, sandbox, store } = env;
    // Instance B: its own connection, not through the proxy, so it never sees the outage.
    const bStore = await openStore(resolveStoreSetting(storeUrl(schema)) as StoreLocation);
    stores.push(bStore);
    const bMoco = makeClient(sandbox);
    stores.push({ close: () => bMoco.close() } as LeadStore);
    const b = new LeadMirror({ store: bStore, moco: bMoco, freshMs: HOUR, pageWaitMs: 10_000 });
    await a.read();
    await b.read();

    await proxy?.cut();
    const [deal] = sandbox.store.deals;
    if (!deal) throw new Error("no lead");
    const written = await updateLead(moco, deal.id, { name: "Renamed during A's outage" });
    expect(await a.applyWrite(written)).toBe(false); // A's store is lost: the write is in MOCO only
    await proxy?.restore();
    await readyWithin(store, 15_000);

    // Fresh for an hour, B saw no outage: only the store's word makes it sync, once.
    const before = env.dealRequests();
    const read = await b.read();
    expect(read.sync).toBeDefined();
    expect(env.dealRequests()).toBeGreaterThan(before);
    expect(read.leads.find((l) => l.id === deal.id)?.name).toBe("Renamed during A's outage");
    expect((await b.read()).sync).toBeUndefined();
    b.close();
  }, 30_000);

  it("the grant store fails each call at once while the database is gone, and works again without reopening", async () => {
    const location = await throughProxy();
    const grants = await PostgresGrantStore.open(location as PostgresLocation);
    stores.push({ close: () => grants.close() } as LeadStore);
    const client = { clientId: "outage-client", metadata: "{}", secretSealed: undefined, createdAt: 1 };
    await grants.putClient(client);

    await proxy?.cut();
    const started = Date.now();
    // A connection the pool held is found gone, a new one refused: an error each time, never a hang.
    await expect(grants.getClient("outage-client")).rejects.toThrow();
    await expect(grants.getClient("outage-client")).rejects.toThrow(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(5000);

    await proxy?.restore();
    expect(await grants.getClient("outage-client")).toEqual(client);
  }, 30_000);
});
