import { afterEach, describe, expect, it } from "vitest";
import { MirrorRegistry } from "../../../src/leads/mirror/index.js";
import { apiPath } from "../../../src/moco/client.js";
import { MocoError } from "../../../src/moco/errors.js";
import { openStore } from "../../../src/store/index.js";
import type { LeadStore } from "../../../src/store/types.js";
import { type Harness, startHarness } from "../../support/harness.js";

/**
 * A copy is the view of MOCO one key had: once MOCO refuses that key (an admin revoked it), the copy
 * is not served to it, however fresh; the next read asks MOCO and meets MOCO's refusal.
 */
let h: Harness | undefined;
let store: LeadStore | undefined;
afterEach(async () => {
  await h?.close();
  await store?.close();
  h = undefined;
  store = undefined;
});

const HOUR = 3_600_000;

async function mirrorOf(options: { freshMs: number; readOnlyKey?: boolean }) {
  h = await startHarness({ sandbox: { readOnlyKey: options.readOnlyKey } });
  store = await openStore({ kind: "memory" });
  const mirror = new MirrorRegistry({ store, freshMs: options.freshMs }).forClient(h.moco);
  await mirror.read(); // synced: fresh for the whole window
  return { h, mirror };
}

const refusal = (error: unknown) =>
  error instanceof MocoError && error.kind === "auth" && error.status === 401;

describe("a key MOCO refuses", () => {
  it("is not served from its copy within the freshness window: the read asks MOCO and fails with MOCO's 401", async () => {
    const { h, mirror } = await mirrorOf({ freshMs: HOUR });
    const leads = (await mirror.read()).leads.length;
    expect(leads).toBeGreaterThan(0);
    h.sandbox.keyRevoked = true;
    // Any call with the key learns of it (here a live read of one lead).
    await expect(h.moco.get(apiPath("deals", 1))).rejects.toSatisfy(refusal);
    expect(mirror.refused).toBe(true);
    const from = h.sandbox.requests.length;
    const error = await mirror.read().catch((e: unknown) => e);
    expect(refusal(error)).toBe(true);
    expect((error as Error).message).toContain("MOCO rejected the API key (401)");
    // It asked MOCO, and MOCO refused.
    expect(h.sandbox.requests.slice(from).map((q) => q.status)).toEqual([401]);
    // Nor the history (pipeline_summary's as_of, lead_changes).
    await expect(mirror.stateAt(new Date().toISOString())).rejects.toSatisfy(refusal);
    await expect(mirror.changes({ since: new Date(0).toISOString(), limit: 10 })).rejects.toSatisfy(refusal);
  });

  it("is served again once a call with the key succeeds", async () => {
    const { h, mirror } = await mirrorOf({ freshMs: HOUR });
    h.sandbox.keyRevoked = true;
    await expect(mirror.read({ maxAgeMs: 0 })).rejects.toSatisfy(refusal); // the sync itself meets it
    expect(mirror.refused).toBe(true);
    h.sandbox.keyRevoked = false;
    const read = await mirror.read();
    expect(read.leads.length).toBeGreaterThan(0);
    expect(mirror.refused).toBe(false);
    // Confirmed: the next read within the window makes no request, as before.
    const from = h.sandbox.requests.length;
    await mirror.read();
    expect(h.sandbox.requests.length).toBe(from);
  });

  it("a 403 on reading the list of leads refuses the key; a read-only key's 403 on a write does not", async () => {
    const { h, mirror } = await mirrorOf({ freshMs: HOUR, readOnlyKey: true });
    await expect(h.moco.post(apiPath("deals"), { name: "x" })).rejects.toMatchObject({ kind: "forbidden" });
    expect(mirror.refused).toBe(false);
    const from = h.sandbox.requests.length;
    expect((await mirror.read()).leads.length).toBeGreaterThan(0);
    expect(h.sandbox.requests.length).toBe(from);
    h.sandbox.faults.push({ kind: "status", status: 403, method: "GET", path: /^\/deals$/, times: Infinity });
    await expect(h.moco.get(apiPath("deals"))).rejects.toMatchObject({ kind: "forbidden" });
    expect(mirror.refused).toBe(true);
    h.sandbox.keyRevoked = true;
    await expect(mirror.read()).rejects.toSatisfy(refusal);
  });

  it("is confirmed with MOCO when a copy older than the freshness window would be served without a sync", async () => {
    const { h, mirror } = await mirrorOf({ freshMs: 150 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    h.sandbox.keyRevoked = true;
    // A read that accepts an hour-old copy makes no sync; the key is still asked about.
    await expect(mirror.read({ maxAgeMs: HOUR })).rejects.toSatisfy(refusal);
    h.sandbox.keyRevoked = false;
    const from = h.sandbox.requests.length;
    expect((await mirror.read({ maxAgeMs: HOUR })).leads.length).toBeGreaterThan(0);
    expect(h.sandbox.requests.slice(from).map((q) => q.path)).toEqual(["/session"]);
  });
});

describe("a key MOCO refused before its mirror was loaded", () => {
  it("is refused by the mirror loaded after it (let go by the registry, loaded again)", async () => {
    h = await startHarness();
    store = await openStore({ kind: "memory" });
    const registry = new MirrorRegistry({ store, freshMs: HOUR, maxLoaded: 1 });
    await registry.forClient(h.moco).read(); // synced, fresh for an hour
    const other = await startHarness();
    try {
      registry.forClient(other.moco); // takes the only slot: the first mirror is let go
      h.sandbox.keyRevoked = true;
      await expect(h.moco.get(apiPath("deals", 1))).rejects.toSatisfy(refusal); // no mirror listens
      const again = registry.forClient(h.moco); // loaded again from the store, synced a moment ago
      await expect(again.read()).rejects.toSatisfy(refusal);
      h.sandbox.keyRevoked = false;
      expect((await again.read()).leads.length).toBeGreaterThan(0);
    } finally {
      registry.close();
      await other.close();
    }
  });
});
