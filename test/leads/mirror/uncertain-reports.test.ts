import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { callOptions, leadsContext } from "../../../src/leads/context.js";
import { MirrorRegistry } from "../../../src/leads/mirror/index.js";
import { MocoClient } from "../../../src/moco/client.js";
import { RateLimiter } from "../../../src/moco/rate-limit.js";
import { openStore } from "../../../src/store/index.js";
import type { LeadStore, StoreLocation } from "../../../src/store/types.js";
import { lostCreate, type MirrorEnv, makeClient, startEnv } from "../../support/mirror-helpers.js";

/**
 * A write of unknown outcome reaches the store every instance shares, whether or not this process has
 * a mirror of its scope loaded: instance A (a registry, its own client and store connection, as the
 * server builds them) and instance B (env.mirror) over one SQLite file, the sandbox over TCP as MOCO.
 * Both are fresh for an hour: only the store's count makes B ask MOCO again. And the report never
 * holds the write's error for long when the store does not answer.
 */
const HOUR = 3_600_000;
const dirs: string[] = [];
let env: MirrorEnv | undefined;
const closing: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  await env?.close();
  env = undefined;
});
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sqliteFile(): StoreLocation {
  const dir = mkdtempSync(join(tmpdir(), "uncertain-reports-"));
  dirs.push(dir);
  return { kind: "file", path: join(dir, "store.sqlite") };
}

/** B is env.mirror, synced; A is a registry with no mirror loaded, and the context of A's first call. */
async function twoInstances(maxLoaded = 20) {
  const location = sqliteFile();
  env = await startEnv({ location, mirror: { freshMs: HOUR }, sandbox: { leads: 60 } });
  const store = await openStore(location);
  const moco = makeClient(env.sandbox);
  const registry = new MirrorRegistry({ store, freshMs: HOUR, pageWaitMs: 10_000, maxLoaded });
  closing.push(
    () => store.close(),
    () => moco.close(),
    () => registry.close(),
  );
  await env.mirror.read();
  const ctx = leadsContext(
    { moco, maxScanPages: 100, today: undefined, mirrors: async () => registry },
    callOptions(10_000),
  );
  return { a: registry, ctx, b: env.mirror, sandbox: env.sandbox, store: env.store };
}

const otherClient = (url: string) =>
  new MocoClient({
    baseUrl: url,
    apiKey: "another-key-7e8f9a",
    userAgent: "moco-leads-mcp-test",
    requestTimeoutMs: 1000,
    budget: new RateLimiter({ limit: 100, windowMs: 1000 }),
  });

const unsure = async (store: LeadStore, scope: string) => (await store.getScope(scope))?.unsure;

describe("a write of unknown outcome in an instance with no mirror of its scope loaded", () => {
  it("a tenant's first call is the write: counted in the store, and the other instance's next read syncs and holds the lead", async () => {
    const { a, ctx, b, sandbox, store } = await twoInstances();
    const id = await lostCreate(ctx.moco, sandbox, "Erster Aufruf unsicher");
    expect(a.loaded).toBe(0); // the write came before any read: no mirror in A
    expect(await unsure(store, b.scope)).toBe(1);
    const from = sandbox.requests.length;
    const read = await b.read();
    expect(sandbox.requests.length).toBeGreaterThan(from);
    expect(read.leads.map((l) => l.id)).toContain(id);
  });

  it("the registry let the scope's mirror go: the write is counted in the store all the same", async () => {
    const { a, ctx, b, sandbox, store } = await twoInstances(1);
    await a.forClient(ctx.moco).read();
    const other = otherClient(sandbox.url);
    closing.push(() => other.close());
    a.forClient(other); // takes the only slot: A's mirror of the scope is let go
    const id = await lostCreate(ctx.moco, sandbox, "Nach dem Loslassen unsicher");
    expect(await unsure(store, b.scope)).toBe(1);
    const read = await b.read();
    expect(read.leads.map((l) => l.id)).toContain(id);
  });

  it("with the scope's mirror loaded, the write is counted once, not once by the mirror and again by the registry", async () => {
    const { a, ctx, sandbox, store, b } = await twoInstances();
    await a.forClient(ctx.moco).read();
    await lostCreate(ctx.moco, sandbox, "Einmal gezählt");
    expect(await unsure(store, b.scope)).toBe(1);
  });
});

describe("a store that does not answer the report of a write of unknown outcome", () => {
  it("the write's error reaches the caller within a few seconds, and this process's next read syncs first", async () => {
    env = await startEnv({ mirror: { freshMs: HOUR }, sandbox: { leads: 30 } });
    const { mirror, moco, sandbox, store } = env;
    await mirror.read();
    // A database that stopped answering: the report never settles.
    store.markUnsure = () => new Promise<boolean>(() => {});
    const began = Date.now();
    const id = await lostCreate(moco, sandbox, "Bericht ohne Antwort");
    const took = Date.now() - began;
    console.log(`the lost create's error reached the caller after ${took} ms`);
    expect(took).toBeLessThan(5000);
    const from = sandbox.requests.length;
    const read = await mirror.read();
    expect(sandbox.requests.length).toBeGreaterThan(from);
    expect(read.leads.map((l) => l.id)).toContain(id);
  }, 20_000);
});
