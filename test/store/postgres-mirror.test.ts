import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LeadMirror } from "../../src/leads/mirror/index.js";
import { openStore, resolveStoreSetting } from "../../src/store/index.js";
import type { LeadStore, StoreLocation } from "../../src/store/types.js";
import { apiLeads, type MirrorEnv, startEnv } from "../support/mirror-helpers.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "./postgres-support.js";

/**
 * The lead mirror on PostgreSQL, as a team server runs it: two instances (two stores, two pools, as
 * two processes would have) over one schema, the sandbox over TCP as MOCO.
 */
const skip = await skipReason();
const schemas: string[] = [];
let env: MirrorEnv | undefined;
const extra: LeadStore[] = [];
afterEach(async () => {
  for (const s of extra.splice(0)) await s.close();
  await env?.close();
  env = undefined;
});
afterAll(async () => {
  if (skip === undefined) for (const s of schemas) await dropSchema(s);
});

async function twoInstances(leads: number) {
  const schema = randomSchema();
  schemas.push(schema);
  const location = resolveStoreSetting(storeUrl(schema)) as StoreLocation;
  env = await startEnv({ location, sandbox: { leads } });
  const second = await openStore(location);
  extra.push(second);
  return { env, other: new LeadMirror({ store: second, moco: env.moco }) };
}

describe.skipIf(skip !== undefined)("the lead mirror on PostgreSQL, two instances", () => {
  it("concurrent first reads make one full sync, and both serve every lead", async () => {
    const { env: e, other } = await twoInstances(600);
    const [a, b] = await Promise.all([e.mirror.read(), other.read()]);
    expect(e.store.available, e.store.problem).toBe(true);
    expect(a.leads).toEqual(apiLeads(e.sandbox));
    expect(b.leads).toEqual(a.leads);
    expect(e.dealRequests()).toBe(6 + 1);
  });

  it("an edit one instance syncs is served by the other without a request, with its history", async () => {
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
    const history = await other.changes({ since: "2000-01-01" });
    expect(history.changes.map((c) => [c.leadId, c.kind])).toEqual([[deal.id, "updated"]]);
  });
});
