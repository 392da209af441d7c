import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * A lead the server has just read from MOCO is not contradicted by the next read from the lead
 * mirror, even within the mirror's freshness window (no sync in between).
 */
let h: Harness;
beforeAll(async () => {
  // A freshness window long enough that no read of this file syncs on its own.
  h = await startHarness({ mirror: { freshMs: 600_000 } });
});
afterAll(() => h.close());

const openIds = async (args: Record<string, unknown>) => {
  const r = await h.call("list_leads", { status: "open", per_page: 100, ...args });
  expect(r.isError, text(r)).toBeFalsy();
  expect(text(r)).toMatch(/from the lead mirror/);
  return (sc(r).leads as Json[]).map((l) => l.id as number);
};

/** A pending lead no other test of this file touches. */
function pick(used: Set<number>) {
  const deal = h.sandbox.store.deals.find((d) => d.status === "pending" && !used.has(d.id));
  if (!deal) throw new Error("no pending lead in the seed");
  used.add(deal.id);
  return deal;
}

/** The lead won in MOCO, behind the server's back. */
function win(deal: ReturnType<typeof pick>) {
  const made = h.sandbox.store.updateDeal(deal, { status: "won", closed_on: "2026-03-02" });
  if (!made.ok) throw new Error("could not update the lead in the sandbox");
}

describe("reads from the lead mirror after a fresh read of the same lead", () => {
  const used = new Set<number>();

  it("get_lead of a lead won in MOCO: list_leads from the mirror within its window no longer lists it as open", async () => {
    const deal = pick(used);
    expect(await openIds({ query: deal.name })).toContain(deal.id);
    win(deal);
    // Without a fresh read the mirror still holds the old copy (that is its window).
    expect(await openIds({ query: deal.name })).toContain(deal.id);
    const got = await h.call("get_lead", { id: deal.id });
    expect(sc(got).lead.status).toBe("won");
    const from = h.sandbox.requests.length;
    expect(await openIds({ query: deal.name })).not.toContain(deal.id);
    // Served from the copy, not by a sync.
    expect(h.sandbox.requests.slice(from).filter((q) => q.path === "/deals")).toEqual([]);
  });

  it("update_leads' dry run by ids re-reads the leads: the mirror takes what it read", async () => {
    const deal = pick(used);
    expect(await openIds({ query: deal.name })).toContain(deal.id);
    win(deal);
    const r = await h.call("update_leads", {
      ids: [deal.id],
      changes: { reminder_date: "2031-09-09" },
      dry_run: true,
    });
    expect(r.isError, text(r)).toBeFalsy();
    expect(await openIds({ query: deal.name })).not.toContain(deal.id);
  });
});
