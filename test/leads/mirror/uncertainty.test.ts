import { afterEach, describe, expect, it } from "vitest";
import { Uncertainty } from "../../../src/leads/mirror/uncertainty.js";
import { MocoClient } from "../../../src/moco/client.js";
import { RateLimiter } from "../../../src/moco/rate-limit.js";

/**
 * The bookkeeping of writes whose outcome is unknown, with real clients: a client reports such a write
 * through reportUncertain() (as it does itself for a lost answer); no request is made here.
 */
const clients: MocoClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

function client(): MocoClient {
  const moco = new MocoClient({
    baseUrl: "http://127.0.0.1:9/api/v1",
    apiKey: "uncertainty-test-key-5b7c",
    userAgent: "moco-leads-mcp-test",
    requestTimeoutMs: 1000,
    budget: new RateLimiter({ limit: 100, windowMs: 1000 }),
  });
  clients.push(moco);
  return moco;
}

const lostCreate = { method: "POST", path: "/deals" } as const;

describe("whether a copy is behind a write of unknown outcome", () => {
  const cases: { name: string; syncedMs: (before: number) => number; earlier: boolean; behind: boolean }[] = [
    { name: "never synced (NaN): behind", syncedMs: () => Number.NaN, earlier: false, behind: true },
    {
      name: "synced, no uncertain write at all: not behind",
      syncedMs: (t) => t,
      earlier: false,
      behind: false,
    },
    {
      name: "synced before the client's earlier uncertain write: behind",
      syncedMs: (t) => t - 60_000,
      earlier: true,
      behind: true,
    },
    {
      name: "synced after the client's earlier uncertain write: not behind",
      syncedMs: (t) => t + 60_000,
      earlier: true,
      behind: false,
    },
  ];
  it.each(cases)("$name", ({ syncedMs, earlier, behind }) => {
    const moco = client();
    if (earlier) moco.reportUncertain(lostCreate);
    const now = Date.now();
    const u = new Uncertainty();
    u.watch(moco);
    expect(u.pending).toBe(false);
    expect(u.behind(syncedMs(now))).toBe(behind);
  });

  it("a watched client's uncertain write is pending until a sync that began after it settles it", () => {
    const moco = client();
    const u = new Uncertainty();
    u.watch(moco);
    const before = u.mark(); // a sync began before the write
    moco.reportUncertain(lostCreate);
    expect(u.pending).toBe(true);
    expect(u.behind(Date.now() + 60_000)).toBe(true);
    u.settle(before);
    expect(u.pending).toBe(true);
    const after = u.mark(); // the next sync began after it
    u.settle(after);
    expect(u.pending).toBe(false);
    // An older sync settling late does not undo a newer one's.
    u.settle(before);
    expect(u.pending).toBe(false);
  });

  it("a client watched twice counts its write once", () => {
    const moco = client();
    const u = new Uncertainty();
    u.watch(moco);
    u.watch(moco);
    moco.reportUncertain(lostCreate);
    expect(u.mark()).toBe(1);
  });

  it("tells its owner of each uncertain write, instead of counting it itself", () => {
    const moco = client();
    let told = 0;
    const u = new Uncertainty(() => told++);
    u.watch(moco);
    moco.reportUncertain(lostCreate);
    expect(told).toBe(1);
    expect(u.pending).toBe(false);
  });
});

describe("the clients watched", () => {
  it("a newer client replaces the ones before: only its writes count from then on", () => {
    const old = client();
    const newer = client();
    const u = new Uncertainty();
    u.watch(old);
    u.useClient(newer);
    old.reportUncertain(lostCreate);
    expect(u.pending).toBe(false);
    newer.reportUncertain(lostCreate);
    expect(u.pending).toBe(true);
  });

  it("after release no client's write counts", () => {
    const a = client();
    const b = client();
    const u = new Uncertainty();
    u.watch(a);
    u.watch(b);
    u.release();
    a.reportUncertain(lostCreate);
    b.reportUncertain(lostCreate);
    expect(u.pending).toBe(false);
  });
});
