import { afterEach, describe, expect, it } from "vitest";
import type { RecordedRequest, Sandbox } from "../../src/sandbox/index.js";
import { type Harness, sc, startHarness, text } from "../support/harness.js";

/**
 * MOCO pages by offset. A lead deleted while a scan reads its pages moves every later lead one place
 * up: the scan keeps the deleted lead (read on page 1) and skips the first lead of the old page 2,
 * while the counts still agree. Played here for real: page 2 of every full scan is held back (a slow
 * fault) and a lead of page 1 is deleted in the sandbox meanwhile, so that MOCO's answer to page 2,
 * computed after the pause, has shifted and its X-Total dropped by one.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * Deletes the 4th lead (by id) while each of the next `times` requests for page 2 of a 100-per-page
 * scan waits; returns the ids deleted so far.
 */
function deleteWhilePage2(sandbox: Sandbox, times: number): number[] {
  const deleted: number[] = [];
  sandbox.faults.push({
    kind: "slow",
    method: "GET",
    path: "/deals",
    query: "page=2&per_page=100",
    delayMs: 150,
    times,
  });
  const handled = new Set<RecordedRequest>();
  const timer = setInterval(() => {
    for (const r of sandbox.requests) {
      if (handled.has(r) || r.path !== "/deals" || deleted.length >= times) continue;
      handled.add(r);
      const q = new URLSearchParams(r.query);
      if (q.get("page") !== "2" || q.get("per_page") !== "100") continue;
      const victim = [...sandbox.store.deals].sort((a, b) => a.id - b.id)[3];
      if (!victim) continue;
      sandbox.store.deleteDeal(victim);
      deleted.push(victim.id);
    }
    if (deleted.length >= times) clearInterval(timer);
  }, 2);
  timer.unref();
  return deleted;
}

/** Count and total per currency, from the sandbox's raw records (none of the server's code). */
function truth(sandbox: Sandbox): Record<string, { count: number; total: number }> {
  const out: Record<string, { count: number; total: number }> = {};
  for (const d of sandbox.store.deals) {
    const t = out[d.currency] ?? { count: 0, total: 0 };
    out[d.currency] = t;
    t.count++;
    t.total = Math.round((t.total + d.money) * 100) / 100;
  }
  return out;
}

function reported(data: Record<string, unknown>): Record<string, { count: number; total: number }> {
  const out: Record<string, { count: number; total: number }> = {};
  for (const c of data.currencies as { currency: string; count: number; total: number }[]) {
    out[c.currency] = { count: c.count, total: Math.round(c.total * 100) / 100 };
  }
  return out;
}

const sortedIds = (sandbox: Sandbox) => sandbox.store.deals.map((d) => d.id).sort((a, b) => a - b);

describe("a lead deleted while a full scan reads MOCO's pages", () => {
  it("the mirror's first sync notices X-Total change, reads again, and holds exactly MOCO's leads", async () => {
    h = await startHarness({ mirror: { freshMs: 3_600_000 } });
    const skipped = [...h.sandbox.store.deals].sort((a, b) => a.id - b.id)[100];
    const deleted = deleteWhilePage2(h.sandbox, 1);
    const r = await h.call("pipeline_summary", {});
    expect(deleted).toHaveLength(1);
    expect(reported(sc(r))).toEqual(truth(h.sandbox));
    expect(sc(r).complete).toBe(true);
    expect(text(r)).toContain("Complete: from the lead mirror");
    const held = (await h.mirror?.read())?.leads.map((l) => l.id);
    expect(held).toEqual(sortedIds(h.sandbox));
    expect(held).not.toContain(deleted[0]);
    expect(held).toContain(skipped?.id);
  });

  it("a live scan (store off) notices it too and answers from a second, steady read", async () => {
    h = await startHarness();
    const deleted = deleteWhilePage2(h.sandbox, 1);
    const r = await h.call("pipeline_summary", {});
    expect(deleted).toHaveLength(1);
    expect(reported(sc(r))).toEqual(truth(h.sandbox));
    expect(sc(r)).toMatchObject({ complete: true, scanned: h.sandbox.store.deals.length });
    expect(text(r)).toMatch(/Complete: \d+ leads read from MOCO \(6 requests\)/);
  });

  it("a live scan whose list keeps moving on the second read is not called complete, and says why", async () => {
    h = await startHarness();
    const deleted = deleteWhilePage2(h.sandbox, 2);
    const r = await h.call("pipeline_summary", {});
    expect(deleted).toHaveLength(2);
    expect(sc(r).complete).toBe(false);
    expect(text(r)).toContain("INCOMPLETE");
    expect(text(r)).toContain("MOCO's leads changed while they were read (its count went from");
    expect(text(r)).toContain("Call again in a moment");
    expect(text(r)).not.toContain("page cap");
  });

  it("a mirror whose every scan moves is not called complete, and the next calm sync heals it", async () => {
    h = await startHarness({ mirror: { freshMs: 3_600_000 } });
    // The first scan and both re-scans each lose a lead under them.
    const deleted = deleteWhilePage2(h.sandbox, 3);
    const r = await h.call("pipeline_summary", {});
    expect(deleted).toHaveLength(3);
    expect(sc(r).complete).toBe(false);
    expect(text(r)).toContain("INCOMPLETE: from the lead mirror");
    expect(text(r)).toContain("MOCO's leads changed while the mirror read them");
    expect((await h.mirror?.read())?.gap?.kind).toBe("moved");
    // Nothing moves any more: the next sync reads the whole list again (a delta cannot see a deleted
    // lead kept and a live one missed), and the mirror agrees with MOCO again.
    const from = h.sandbox.requests.length;
    await h.mirror?.sync();
    const full = h.sandbox.requests.slice(from).filter((q) => {
      const query = new URLSearchParams(q.query);
      return q.path === "/deals" && !query.has("updated_after") && query.get("per_page") === "100";
    });
    expect(full.length).toBeGreaterThan(0);
    const calm = await h.call("pipeline_summary", {});
    expect(sc(calm).complete).toBe(true);
    expect(reported(sc(calm))).toEqual(truth(h.sandbox));
    expect((await h.mirror?.read())?.leads.map((l) => l.id)).toEqual(sortedIds(h.sandbox));
  });
});
