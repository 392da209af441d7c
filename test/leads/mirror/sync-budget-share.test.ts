import { afterEach, describe, expect, it } from "vitest";
import { LeadMirror } from "../../../src/leads/mirror/index.js";
import { apiPath } from "../../../src/moco/client.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { openStore } from "../../../src/store/index.js";
import { makeClient } from "../../support/mirror-helpers.js";

/**
 * A sync keeps to its share of MOCO's rate limit (75 % by default) in every window, so interactive
 * calls on the same key still get through while a long first sync runs. Small numbers: 8 requests
 * per 1 s window (6 for the sync), 1,200 leads (13 requests).
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
});
