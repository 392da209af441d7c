import { afterEach, describe, expect, it } from "vitest";
import { scanOfMirror } from "../../../src/leads/find.js";
import { scanNote } from "../../../src/replies/scan-note.js";
import { apiLeads, type MirrorEnv, startEnv } from "../../support/mirror-helpers.js";

/**
 * A big account answers at once: no read waits longer than the mirror's bound for a sync. A read that
 * would have to answers with what the mirror has, never called complete, and the sync goes on in the
 * background, joined by later reads, never run twice. Small numbers: 600 leads (7 requests) at 4
 * requests per 1.5 s (3 for the sync), so the first sync takes about 3 s; the bound is 1 s (wide enough for
 * the first page, which carries MOCO's count, on a loaded machine; short of the sync's 3 s).
 */
const RATE = { limit: 4, windowMs: 1500 };
let env: MirrorEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const setup = () =>
  startEnv({
    sandbox: { leads: 600, rateLimit: RATE },
    client: { rateLimit: RATE },
    mirror: { answerWithinMs: 1000 },
  });

describe("a read does not wait out a long sync", () => {
  it("a cold account: the first read answers with the leads read so far, INCOMPLETE, and the sync finishes in the background", async () => {
    env = await setup();
    const progress: string[] = [];
    const asked = Date.now();
    const first = await env.mirror.read({ onProgress: (_d, _t, message) => progress.push(message) });
    // Generous: the sync alone takes about 3 s.
    expect(Date.now() - asked).toBeLessThan(2400);
    expect(first.gap).toMatchObject({ kind: "syncing", first: true, counted: 600 });
    const gap = first.gap as { read: number; etaMs: number | undefined };
    expect(gap.read).toBe(first.leads.length);
    expect(first.leads.length).toBeLessThan(600);
    expect(gap.etaMs).toBeGreaterThan(0);
    const all = new Map(apiLeads(env.sandbox).map((l) => [l.id, l]));
    for (const lead of first.leads) expect(lead).toEqual(all.get(lead.id));
    expect(progress.length).toBeGreaterThan(0);
    const note = scanNote(scanOfMirror(first, [...first.leads]), first.leads.length, 20, first.asOf);
    expect(note).toMatch(/^INCOMPLETE: /);
    expect(note).toContain(`${first.leads.length} of 600 leads read so far`);
    expect(note).toContain("the rest syncs in the background, complete in about");

    // A later read joins the sync running in the background: still INCOMPLETE, no second sync.
    const second = await env.mirror.read();
    expect(second.gap?.kind).toBe("syncing");
    // Before the first sync is done there is no history: a question about change is refused, never "none".
    await expect(env.mirror.changes({ since: "2000-01-01" })).rejects.toThrow(
      /first sync .* still under way/,
    );
    await expect.poll(() => env?.mirror.status().syncedAt, { timeout: 10_000 }).toBeTruthy();
    const done = await env.mirror.read();
    expect(done.gap).toBeUndefined();
    expect(done.leads).toEqual(apiLeads(env.sandbox));
    // One sync: 6 pages and the count, nothing read twice.
    expect(env.dealRequests()).toBe(7);
    expect(env.sandbox.stats.rateLimited).toBe(0);
  });

  it("a slow sync of a synced mirror: the read answers with the copy as of its last sync, saying so", async () => {
    env = await setup();
    await env.mirror.sync();
    const before = env.mirror.status().syncedAt;
    const deal = env.sandbox.store.deals[3];
    if (deal) env.sandbox.store.updateDeal(deal, { name: "Renamed behind the server's back" });
    env.sandbox.faults.push({ kind: "slow", method: "GET", path: "/deals", delayMs: 1000 });
    const read = await env.mirror.read({ maxAgeMs: 0 });
    expect(read.gap).toMatchObject({ kind: "syncing", first: false, read: 600 });
    expect(read.asOf).toBe(before);
    expect(read.leads.find((l) => l.id === deal?.id)?.name).not.toBe("Renamed behind the server's back");
    const note = scanNote(scanOfMirror(read, [...read.leads]), read.leads.length, 20, read.asOf);
    expect(note).toMatch(/^INCOMPLETE: .*as of its last sync/);
    await expect.poll(() => env?.mirror.status().syncedAt, { timeout: 10_000 }).not.toBe(before);
    const after = await env.mirror.read();
    expect(after.gap).toBeUndefined();
    expect(after.leads.find((l) => l.id === deal?.id)?.name).toBe("Renamed behind the server's back");
  });

  it("a reader that gives up before the bound still stops a sync no one else waits for", async () => {
    env = await setup();
    const give = new AbortController();
    const read = env.mirror.read({ signal: give.signal });
    setTimeout(() => give.abort(), 50);
    await expect(read).rejects.toMatchObject({ kind: "cancelled" });
    const requests = env.dealRequests();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(env.dealRequests()).toBeLessThanOrEqual(requests + 1);
    expect(env.mirror.status().syncedAt).toBeNull();
  });
});
