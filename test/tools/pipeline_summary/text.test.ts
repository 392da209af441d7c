import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/** pipeline_summary's sentence: every group and every status it counts is either named or said to be left out. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-12-01" } });
});
afterAll(() => h.close());

async function summary(args: Record<string, unknown>) {
  const r = await h.call("pipeline_summary", args);
  expect(r.isError, text(r)).toBeFalsy();
  return { data: sc(r), text: text(r).split("\n")[0] as string };
}

/** Leads of one currency no other test of this file touches, taken in id order. */
const taken = new Set<number>();
function take(n: number, currency = "CHF"): DealRecord[] {
  const deals = h.sandbox.store.deals.filter((d) => d.currency === currency && !taken.has(d.id)).slice(0, n);
  if (deals.length < n) throw new Error(`fewer than ${n} more ${currency} leads in the seed`);
  for (const d of deals) taken.add(d.id);
  return deals;
}

const month = (i: number) => `${2025 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;

describe("pipeline_summary text: groups beyond the ones named", () => {
  it("says how many groups it leaves out (pending by user: the sixth user, e.g. Lea Brunner, is not dropped in silence)", async () => {
    const { data, text: line } = await summary({ status: "pending", group_by: "user" });
    const cut = (data.currencies as Json[]).filter((c) => c.groups.length > 5);
    expect(cut.length).toBeGreaterThan(0);
    for (const c of cut) {
      const hidden = c.groups.length - 5;
      const leads = (c.groups as Json[]).slice(5).reduce((n, g) => n + g.count, 0);
      expect(line).toContain(`${c.currency}: `);
      expect(line).toContain(`and ${hidden} more ${hidden === 1 ? "owner" : "owners"}: ${leads} lead`);
    }
  });

  it("counts the groups folded into the '(n others)' entry when it says how many are left out", async () => {
    const deals = take(30);
    deals.forEach((d, i) => {
      d.tags = [`T${String(i).padStart(2, "0")}`];
    });
    const { data, text: line } = await summary({ ids: deals.map((d) => d.id), group_by: "tag" });
    const groups = (data.currencies as Json[])[0]?.groups as Json[];
    expect(groups).toHaveLength(25);
    expect(groups.at(-1)?.key).toBe("(6 others)");
    expect(line).toContain("and 25 more tags: 25 leads, ");
  });

  it("month groups: lists up to 12 months in order, the latest included", async () => {
    const deals = take(8);
    deals.forEach((d, i) => {
      d.status = "won";
      d.closed_on = `${month(i)}-15`;
    });
    const { text: line } = await summary({
      ids: deals.map((d) => d.id),
      group_by: "month",
      month_basis: "closed_on",
    });
    const named = [...line.matchAll(/\b(\d{4}-\d{2}) \d+ leads?, /g)].map((m) => m[1]);
    expect(named).toEqual(deals.map((_, i) => month(i)));
    expect(line).not.toContain("see groups");
  });

  it("month groups: beyond 12 months, names the first 12 in order and says how many later ones, up to which", async () => {
    const deals = take(15);
    deals.forEach((d, i) => {
      d.status = "won";
      d.closed_on = `${month(i)}-10`;
    });
    const { data, text: line } = await summary({
      ids: deals.map((d) => d.id),
      group_by: "month",
      month_basis: "closed_on",
    });
    expect((data.currencies as Json[])[0]?.groups).toHaveLength(15);
    const named = [...line.matchAll(/\b(\d{4}-\d{2}) \d+ leads?, /g)].map((m) => m[1]);
    expect(named).toEqual(deals.slice(0, 12).map((_, i) => month(i)));
    expect(line).toContain(`and 3 later months up to ${month(14)}: 3 leads, `);
  });

  it("says 1 lead, not 1 leads", async () => {
    const [deal] = take(1, "USD");
    const { text: line } = await summary({ ids: [deal?.id] });
    expect(line).toMatch(/^USD: 1 lead, /);
  });
});

describe("pipeline_summary: a status outside MOCO's known five", () => {
  it("keeps it in by_status under its own key, so by_status adds up to the count, and says so", async () => {
    const deals = take(4, "EUR");
    const [odd, proto] = deals;
    if (!odd || !proto) throw new Error("leads expected");
    (odd as { status: string }).status = "archived";
    (proto as { status: string }).status = "__proto__";
    const { data, text: line } = await summary({ ids: deals.map((d) => d.id) });
    const eur = (data.currencies as Json[])[0] as Json;
    expect(eur.count).toBe(4);
    const statuses = Object.values(eur.by_status as Record<string, { count: number }>);
    expect(statuses.reduce((n, s) => n + s.count, 0)).toBe(4);
    expect(Object.hasOwn(eur.by_status, "archived")).toBe(true);
    expect(eur.by_status.archived).toEqual({ count: 1, total: odd.money });
    expect(Object.hasOwn(eur.by_status, "__proto__")).toBe(true);
    expect(({} as Json).count).toBeUndefined(); // no prototype was written to
    expect(line).toContain("2 leads have statuses outside potential, pending, won, lost, dropped");
    expect(line).toContain("archived: 1");
  });
});
