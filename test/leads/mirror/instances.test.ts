import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LeadMirror, MirrorRegistry } from "../../../src/leads/mirror/index.js";
import { openStore } from "../../../src/store/index.js";
import type { LeadStore } from "../../../src/store/types.js";
import { apiLeads, type MirrorEnv, makeClient, startEnv } from "../../support/mirror-helpers.js";

/** Two instances (two connections to one store file, as two processes would have) share one sync. */
let env: MirrorEnv | undefined;
const extra: LeadStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of extra.splice(0)) await s.close();
  await env?.close();
  env = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function twoInstances(leads: number) {
  const dir = mkdtempSync(join(tmpdir(), "mirror-instances-"));
  dirs.push(dir);
  const path = join(dir, "store.sqlite");
  env = await startEnv({ location: { kind: "file", path }, sandbox: { leads } });
  const second = await openStore({ kind: "file", path });
  extra.push(second);
  const other = new LeadMirror({
    store: second,
    moco: env.moco,
  });
  return { env, other };
}

describe("instances sharing one store", () => {
  it("concurrent first reads in two instances make one full sync", async () => {
    const { env: e, other } = await twoInstances(600);
    const [a, b] = await Promise.all([e.mirror.read(), other.read()]);
    expect(a.leads).toEqual(apiLeads(e.sandbox));
    expect(b.leads).toEqual(a.leads);
    expect(e.dealRequests()).toBe(6 + 1);
  });

  it("an instance serves what another instance's sync committed, without a request", async () => {
    const { env: e, other } = await twoInstances(300);
    await e.mirror.read();
    const [deal] = e.sandbox.store.deals;
    if (!deal) throw new Error("no lead");
    e.sandbox.store.updateDeal(deal, { name: "Seen by the first instance" });
    await e.mirror.sync();
    const before = e.sandbox.requests.length;
    const read = await other.read({ maxAgeMs: Number.POSITIVE_INFINITY });
    expect(e.sandbox.requests.length).toBe(before);
    expect(read.leads).toEqual(apiLeads(e.sandbox));
    expect(read.asOf).toBe(e.mirror.status().syncedAt);
  });

  it("an instance that gets the lease just after another committed the first sync reads a delta, not every lead again", async () => {
    const { env: e, other } = await twoInstances(300);
    const second = extra[0] as LeadStore;
    const acquire = second.acquireLease.bind(second);
    // Between the second instance's look at the scope and its lease, the first syncs in full and lets go.
    second.acquireLease = async (...args) => {
      second.acquireLease = acquire;
      await e.mirror.read();
      return acquire(...args);
    };
    const read = await other.read();
    expect(read.leads).toEqual(apiLeads(e.sandbox));
    expect(read.sync?.kind).toBe("delta");
    const fullPages = e.sandbox.requests.filter(
      (r) =>
        r.path === "/deals" && /(^|&)per_page=100($|&)/.test(r.query) && !r.query.includes("updated_after"),
    );
    expect(fullPages).toHaveLength(3);
  });

  it("a registry keeps one mirror per credential scope, whose key is never in the scope name", async () => {
    env = await startEnv();
    const registry = new MirrorRegistry({ store: env.store });
    const a = registry.forClient(env.moco);
    // Another client of the same credentials (a trailing slash aside) shares the mirror.
    const same = makeClient({ ...env.sandbox, url: `${env.sandbox.url}/` });
    expect(registry.forClient(same)).toBe(a);
    const b = registry.forClient(makeClient({ ...env.sandbox, apiKey: "another-key-of-the-account" }));
    expect(b).not.toBe(a);
    expect(b.scope).not.toBe(a.scope);
    expect(a.scope).not.toContain(env.sandbox.apiKey);
    await a.read();
    // The other key's mirror has synced nothing: it never sees the first key's leads.
    expect((await env.store.loadLeads(b.scope)).length).toBe(0);
    registry.close();
  });
});
