import { afterEach, describe, expect, it } from "vitest";
import { apiLeads, type MirrorEnv, startEnv } from "../../support/mirror-helpers.js";

let env: MirrorEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe("mirror sync against the sandbox", () => {
  it("a first read does a full sync of ceil(N/100) pages plus one count, and equals a full scan", async () => {
    env = await startEnv({ sandbox: { leads: 1234 } });
    const progress: [number, number | undefined][] = [];
    const read = await env.mirror.read({ onProgress: (done, total) => progress.push([done, total]) });
    expect(read.leads).toEqual(apiLeads(env.sandbox));
    expect(read.leads).toHaveLength(1234);
    expect(read.sync?.kind).toBe("full");
    expect(read.sync?.requests).toBe(Math.ceil(1234 / 100) + 1);
    expect(env.dealRequests()).toBe(Math.ceil(1234 / 100) + 1);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)?.[0]).toBe(progress.at(-1)?.[1]);
  });

  it("a read within the freshness window makes no MOCO request", async () => {
    env = await startEnv({ mirror: { freshMs: 3_600_000 } });
    await env.mirror.read();
    const before = env.sandbox.requests.length;
    const warm = await env.mirror.read();
    expect(env.sandbox.requests.length).toBe(before);
    expect(warm.sync).toBeUndefined();
    expect(warm.leads).toEqual(apiLeads(env.sandbox));
  });

  it("a delta with no changes takes at most 2 requests", async () => {
    env = await startEnv();
    await env.mirror.read();
    const before = env.sandbox.requests.length;
    const report = await env.mirror.sync();
    expect(env.sandbox.requests.length - before).toBeLessThanOrEqual(2);
    expect(report).toMatchObject({ kind: "delta", created: 0, updated: 0, deleted: 0 });
  });

  it("the delta asks updated_after MOCO's largest updated_at minus the overlap and the read time, not the local clock", async () => {
    env = await startEnv({ mirror: { overlapMs: 60_000 } });
    await env.mirror.read();
    const newest = Math.max(...apiLeads(env.sandbox).map((l) => Date.parse(l.updated_at)));
    await env.mirror.sync();
    const delta = env.sandbox.requests.find((r) => r.query.includes("updated_after"));
    const after = Date.parse(new URLSearchParams(delta?.query).get("updated_after") ?? "");
    // Back by the overlap, and by the first sync's duration rounded up to whole seconds (here < 2 s).
    expect(newest - after).toBeGreaterThanOrEqual(60_000 + 1000);
    expect(newest - after).toBeLessThanOrEqual(60_000 + 2000);
  });

  it("changes, creations and deletions made behind the server's back reach the mirror", async () => {
    env = await startEnv({ sandbox: { leads: 700 } });
    await env.mirror.read();
    const { store } = env.sandbox;
    const [a, b, c] = [store.deals[10], store.deals[400], store.deals[650]];
    if (!a || !b || !c) throw new Error("seed too small");
    store.updateDeal(a, { name: "Renamed behind the back", money: 4242 });
    store.deleteDeal(b);
    store.deleteDeal(c);
    const created = store.createDeal({
      name: "New elsewhere",
      currency: "CHF",
      money: 100,
      reminder_date: store.today,
      user_id: store.profileUserId,
      deal_category_id: store.categories[0]?.id,
    });
    const report = await env.mirror.sync();
    expect(report).toMatchObject({ kind: "delta", created: 1, updated: 1, deleted: 2 });
    expect((await env.mirror.read({ maxAgeMs: Number.POSITIVE_INFINITY })).leads).toEqual(
      apiLeads(env.sandbox),
    );
    expect(created.ok).toBe(true);
  });

  it("finding one deletion among 2,000 leads takes few requests (bisection by updated_at)", async () => {
    env = await startEnv({ sandbox: { leads: 2000 } });
    await env.mirror.read();
    const victim = env.sandbox.store.deals[1234];
    if (!victim) throw new Error("seed too small");
    env.sandbox.store.deleteDeal(victim);
    const report = await env.mirror.sync();
    expect(report.deleted).toBe(1);
    // delta 1 + count 1 + ≤ log2(20) probes + 1 id check + 1 confirmation by id (404), far below the
    // 20 of a full re-read.
    expect(report.requests).toBeLessThanOrEqual(2 + 5 + 1 + 1);
    expect((await env.mirror.read({ maxAgeMs: Number.POSITIVE_INFINITY })).leads).toEqual(
      apiLeads(env.sandbox),
    );
  });

  it("concurrent readers share one sync", async () => {
    env = await startEnv({ sandbox: { leads: 500 } });
    const reads = await Promise.all([env.mirror.read(), env.mirror.read(), env.mirror.read()]);
    expect(env.dealRequests()).toBe(5 + 1);
    for (const read of reads) expect(read.leads).toHaveLength(500);
  });

  it("an edit made during a full scan, on a page already read, is caught by the next delta even without overlap", async () => {
    env = await startEnv({ sandbox: { leads: 300 }, mirror: { overlapMs: 0 } });
    const { store } = env.sandbox;
    const early = store.deals[5];
    const late = store.deals[250];
    if (!early || !late) throw new Error("seed too small");
    // Page 2 is held for 2.5 s; meanwhile a lead on page 1 (already read) and then one on page 3 change.
    env.sandbox.faults.push({ kind: "slow", delayMs: 2500, method: "GET", path: "/deals", query: "page=2" });
    const first = env.mirror.read();
    const held = () => env?.sandbox.requests.some((r) => r.query.includes("page=2") && r.status === 0);
    while (!held()) await new Promise((resolve) => setTimeout(resolve, 5));
    store.updateDeal(early, { name: "Changed after its page was read" });
    store.updateDeal(late, { name: "Changed later, read on page 3" });
    await first;
    await env.mirror.sync();
    expect((await env.mirror.read({ maxAgeMs: Number.POSITIVE_INFINITY })).leads).toEqual(
      apiLeads(env.sandbox),
    );
  });

  it("without X-Total from MOCO, the first sync still completes and a deletion is found by reading ids", async () => {
    env = await startEnv({
      sandbox: { leads: 450, omitHeaders: ["X-Total", "Link", "X-Page", "X-Per-Page"] },
    });
    expect((await env.mirror.read()).leads).toEqual(apiLeads(env.sandbox));
    const victim = env.sandbox.store.deals[321];
    if (!victim) throw new Error("seed too small");
    env.sandbox.store.deleteDeal(victim);
    const report = await env.mirror.sync();
    expect(report.deleted).toBe(1);
    // delta 1 + count 1 + every id checked in chunks of 100 (5) + 1 confirmation by id (404).
    expect(report.requests).toBe(1 + 1 + 5 + 1);
    expect((await env.mirror.read({ maxAgeMs: Number.POSITIVE_INFINITY })).leads).toEqual(
      apiLeads(env.sandbox),
    );
  });
});
