import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LeadMirror } from "../../../src/leads/mirror/index.js";
import type { MocoClient } from "../../../src/moco/client.js";
import { openStore, resolveStoreSetting } from "../../../src/store/index.js";
import type { LeadStore, StoreLocation } from "../../../src/store/types.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "../../store/postgres-support.js";
import { apiLeads, lostCreate, type MirrorEnv, makeClient, startEnv } from "../../support/mirror-helpers.js";

/**
 * What one instance learns of its copy reaches every instance sharing the store: a write of unknown
 * outcome one instance's client reported, and the gap one instance's sync found. Two instances (two
 * store connections, two clients, as two processes would have) over one SQLite file and over one
 * PostgreSQL schema, the sandbox over TCP as MOCO. Both are fresh for an hour: without what the
 * other instance learnt, neither would ask MOCO again.
 */
const HOUR = 3_600_000;
const pgSkip = await skipReason();
const dirs: string[] = [];
const schemas: string[] = [];
let env: MirrorEnv | undefined;
const extra: { store: LeadStore; moco: MocoClient; mirror: LeadMirror }[] = [];
afterEach(async () => {
  for (const b of extra.splice(0)) {
    b.mirror.close();
    await b.store.close();
    await b.moco.close();
  }
  await env?.close();
  env = undefined;
});
afterAll(async () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (pgSkip === undefined) for (const s of schemas.splice(0)) await dropSchema(s);
});

const backends: { name: string; skip: string | undefined; location: () => StoreLocation }[] = [
  {
    name: "one SQLite file",
    skip: undefined,
    location: () => {
      const dir = mkdtempSync(join(tmpdir(), "shared-marks-"));
      dirs.push(dir);
      return { kind: "file", path: join(dir, "store.sqlite") };
    },
  },
  {
    name: "one PostgreSQL schema",
    skip: pgSkip,
    location: () => {
      const schema = randomSchema();
      schemas.push(schema);
      return resolveStoreSetting(storeUrl(schema)) as StoreLocation;
    },
  },
];

/** Instance A is env.mirror (env.moco); B has its own store connection and its own client. */
async function twoInstances(location: StoreLocation, sandbox: Parameters<typeof startEnv>[0]) {
  env = await startEnv({ location, mirror: { freshMs: HOUR }, ...sandbox });
  const store = await openStore(location);
  const moco = makeClient(env.sandbox);
  const mirror = new LeadMirror({ store, moco, freshMs: HOUR, pageWaitMs: 10_000 });
  extra.push({ store, moco, mirror });
  expect(mirror.scope).toBe(env.mirror.scope);
  return { a: env.mirror, b: mirror, sandbox: env.sandbox, moco: env.moco, store };
}

const ids = (leads: readonly { id: number }[]) => leads.map((l) => l.id);

/** MOCO's page 3 of 100 comes back empty on every read: a sync cannot read all 264 leads MOCO counts. */
const shortPage3 = {
  kind: "status" as const,
  status: 200,
  body: [],
  method: "GET",
  path: "/deals",
  query: "page=3&per_page=100",
  times: Number.POSITIVE_INFINITY,
};

for (const backend of backends) {
  describe.skipIf(backend.skip !== undefined)(`two instances sharing ${backend.name}`, () => {
    it("a write of unknown outcome in A makes B's next read sync first, and B's answer holds the lead", async () => {
      const { a, b, sandbox, moco } = await twoInstances(backend.location(), { sandbox: { leads: 120 } });
      await a.read();
      await b.read();
      const id = await lostCreate(moco, sandbox, "Unsicher über zwei Instanzen");
      const from = sandbox.requests.length;
      const read = await b.read();
      expect(sandbox.requests.slice(from).some((r) => r.method === "GET" && r.path === "/deals")).toBe(true);
      expect(ids(read.leads)).toContain(id);
      expect(read.leads).toEqual(apiLeads(sandbox));
      // B's sync covered the write for both: neither asks MOCO again within the window.
      const after = sandbox.requests.length;
      expect(ids((await a.read()).leads)).toContain(id);
      expect(ids((await b.read()).leads)).toContain(id);
      expect(sandbox.requests.length).toBe(after);
    });

    it("a sync B began before A's write of unknown outcome does not cover it: B's next read syncs again", async () => {
      const { a, b, sandbox, moco, store } = await twoInstances(backend.location(), {
        sandbox: { leads: 50 },
      });
      await a.read();
      await b.read();
      // B's next sync waits on its first request; meanwhile A's client reports its write.
      sandbox.faults.push({ kind: "slow", delayMs: 400, method: "GET", path: "/deals" });
      const from = sandbox.requests.length;
      const running = b.sync();
      while (!sandbox.requests.slice(from).some((r) => r.path === "/deals")) await pause(5);
      const id = await lostCreate(moco, sandbox, "Während der Synchronisierung");
      await running;
      const row = await store.getScope(b.scope);
      expect(row?.unsure).toBeGreaterThan(row?.settled ?? 0);
      const before = sandbox.requests.length;
      const read = await b.read();
      expect(sandbox.requests.length).toBeGreaterThan(before);
      expect(ids(read.leads)).toContain(id);
      expect((await store.getScope(b.scope))?.settled).toBe(row?.unsure);
    });

    it("a gap A's sync finds is B's answer's gap too, and a later sync that reconciles clears it for both", async () => {
      const { a, b, sandbox } = await twoInstances(backend.location(), {
        sandbox: { leads: 264, faults: [shortPage3] },
      });
      const first = await a.read();
      expect(first.gap).toEqual({ kind: "count", read: 200, counted: 264, reread: true });
      const from = sandbox.requests.length;
      const other = await b.read();
      expect(sandbox.requests.length).toBe(from); // B served what A stored, without asking MOCO
      expect(other.leads).toHaveLength(200);
      expect(other.gap).toEqual(first.gap);
      sandbox.faults.splice(0); // MOCO pages properly again
      await a.sync();
      const again = await b.read();
      expect(again.gap).toBeUndefined();
      expect(again.leads).toEqual(apiLeads(sandbox));
      expect((await a.read()).gap).toBeUndefined();
    });
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
