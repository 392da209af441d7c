import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * Paging while leads are written between page requests: the pages of a search never skip or repeat
 * a lead present throughout; a live MOCO page, which pages by position, says it may have shifted.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-11-25" } });
});
afterAll(() => h.close());

const ids = (r: Json) => (sc(r).leads as { id: number }[]).map((l) => l.id);

function create(status: string): DealRecord {
  const base = h.sandbox.store.deals[0];
  if (!base) throw new Error("the seed has leads");
  const made = h.sandbox.store.createDeal({
    name: `Paging ${status} ${h.sandbox.store.deals.length}`,
    status,
    currency: "CHF",
    money: 1000,
    reminder_date: "2026-12-01",
    user_id: base.user_id,
    deal_category_id: base.deal_category_id,
  });
  if (!made.ok) throw new Error(JSON.stringify(made.body));
  return made.value;
}

describe("paging while leads change", () => {
  it("a search's pages hold every lead present throughout exactly once", async () => {
    const open = (d: DealRecord) => d.status === "pending" || d.status === "potential";
    const before = new Set(h.sandbox.store.deals.filter(open).map((d) => d.id));
    const args = { status: "open", per_page: 40 };
    const seen: number[] = [];
    const first = await h.call("list_leads", { ...args, page: 1 });
    seen.push(...ids(first));
    const deleted: number[] = [];
    for (let page = 2; sc(first).total >= (page - 1) * 40 + 1; page++) {
      // Between page requests: a lead already listed is deleted (later leads would move up one
      // place), and a new open lead is created.
      const gone = h.sandbox.store.deal(seen[seen.length - 1 - page] ?? 0);
      if (gone) {
        h.sandbox.store.deleteDeal(gone);
        deleted.push(gone.id);
      }
      create(page % 2 === 0 ? "pending" : "potential");
      const r = await h.call("list_leads", { ...args, page });
      expect(r.isError, text(r)).toBeFalsy();
      expect(text(r)).toContain("so pages neither skip nor repeat a lead");
      seen.push(...ids(r));
    }
    const throughout = [...before].filter((id) => !deleted.includes(id));
    const counts = new Map<number, number>();
    for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const id of throughout) expect(counts.get(id), `lead ${id}`).toBe(1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it("page 1 of the same search reads afresh", async () => {
    const args = { status: "open", per_page: 40, page: 1 };
    const first = await h.call("list_leads", args);
    create("pending");
    const again = await h.call("list_leads", args);
    expect(sc(again).total).toBe(sc(first).total + 1);
    expect(text(again)).not.toContain("cut from the matches");
  });

  it("a live MOCO page with others says it may shift", async () => {
    const r = await h.call("list_leads", { status: "won", per_page: 5, page: 2 });
    expect(r.isError, text(r)).toBeFalsy();
    expect(text(r)).toContain(
      "MOCO pages by position: a lead created or deleted between page requests shifts later pages",
    );
  });
});
