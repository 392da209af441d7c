import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, startHarness, text } from "../../support/harness.js";
import { type Data, sc, stageOf, totalsBy, userNameOf } from "../../support/sandbox-raw.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-11-25" } });
});
afterAll(() => h.close());

const deals = () => h.sandbox.store.deals;
const byCurrency = (data: Data, currency: string) =>
  (data.currencies as Data[]).find((c) => c.currency === currency) as Data;

async function summary(args: Record<string, unknown> = {}) {
  const r = await h.call("pipeline_summary", args);
  expect(r.isError, text(r)).toBeFalsy();
  return sc(r);
}

describe("pipeline_summary", () => {
  it("sums count, value and weighted value per currency, never across currencies", async () => {
    const data = await summary();
    const expected = totalsBy(deals(), h.sandbox.store, (d) => [d.currency]);
    expect(new Set(data.currencies.map((c: { currency: string }) => c.currency))).toEqual(
      new Set(expected.keys()),
    );
    expect(expected.size).toBeGreaterThanOrEqual(3); // CHF, EUR, USD in the seed
    for (const [currency, t] of expected) {
      const got = byCurrency(data, currency);
      expect(got.count, currency).toBe(t.count);
      expect(got.total, currency).toBeCloseTo(t.total, 2);
      expect(got.weighted, currency).toBeCloseTo(t.weighted, 1);
    }
    expect(data).not.toHaveProperty("total_value");
    expect(data).toMatchObject({
      complete: true,
      scanned: deals().length,
      matched: deals().length,
      selected: deals().length,
    });
  });

  it("breaks each currency down by status, and pending leads by stage", async () => {
    const data = await summary();
    const store = h.sandbox.store;
    for (const c of data.currencies) {
      const mine = deals().filter((d) => d.currency === c.currency);
      const statuses = totalsBy(mine, store, (d) => [d.status]);
      expect(Object.keys(c.by_status).sort()).toEqual([...statuses.keys()].sort());
      for (const [status, t] of statuses) {
        expect(c.by_status[status].count).toBe(t.count);
        expect(c.by_status[status].total).toBeCloseTo(t.total, 2);
      }
      const stages = totalsBy(
        mine.filter((d) => d.status === "pending"),
        store,
        (d) => [stageOf(store, d).name],
      );
      expect(c.by_stage.map((s: { stage: string }) => s.stage).sort()).toEqual([...stages.keys()].sort());
      for (const s of c.by_stage) {
        const t = stages.get(s.stage);
        expect(s.count).toBe(t?.count);
        expect(s.total).toBeCloseTo(t?.total ?? Number.NaN, 2);
        expect(s.weighted).toBeCloseTo(t?.weighted ?? Number.NaN, 1);
        expect(s.probability).toBe(store.categories.find((x) => x.name === s.stage)?.probability);
      }
      // Pipeline order: lowest win probability first.
      const probabilities = c.by_stage.map((s: { probability: number }) => s.probability);
      expect(probabilities).toEqual([...probabilities].sort((a, b) => a - b));
    }
  });

  it("weights only pending leads: a potential lead carries no weight whatever its stage", async () => {
    const data = await summary({ status: "potential" });
    for (const c of data.currencies) {
      expect(c.weighted).toBe(0);
      expect(c.by_stage).toBeUndefined();
      expect(Object.keys(c.by_status)).toEqual(["potential"]);
    }
  });

  it("lists the largest pending leads per currency, compact", async () => {
    const data = await summary({ top: 3 });
    for (const c of data.currencies) {
      const expected = deals()
        .filter((d) => d.currency === c.currency && d.status === "pending")
        .sort((a, b) => b.money - a.money || a.id - b.id)
        .slice(0, 3)
        .map((d) => d.id);
      expect(c.top_pending.map((l: { id: number }) => l.id)).toEqual(expected);
      expect(c.top_pending[0]).not.toHaveProperty("custom_properties");
    }
  });

  it("groups by user and by tag (a lead counts under each of its tags)", async () => {
    const store = h.sandbox.store;
    const users = await summary({ group_by: "user" });
    const tags = await summary({ group_by: "tag" });
    for (const currency of ["CHF", "EUR"]) {
      const mine = deals().filter((d) => d.currency === currency);
      const byUser = totalsBy(mine, store, (d) => [userNameOf(store, d)]);
      const gotUsers = byCurrency(users, currency).groups as { key: string; count: number; total: number }[];
      expect(gotUsers.map((g) => g.key).sort()).toEqual([...byUser.keys()].sort());
      for (const g of gotUsers) expect(g.total).toBeCloseTo(byUser.get(g.key)?.total ?? Number.NaN, 2);
      const byTag = totalsBy(mine, store, (d) => (d.tags.length > 0 ? d.tags : ["(no tag)"]));
      for (const g of byCurrency(tags, currency).groups) {
        expect(g.count, g.key).toBe(byTag.get(g.key)?.count);
        expect(g.weighted, g.key).toBeCloseTo(byTag.get(g.key)?.weighted ?? Number.NaN, 1);
      }
    }
  });

  it("groups by reminder month, and the months add up to the currency's total", async () => {
    const data = await summary({ group_by: "month", month_basis: "reminder_date" });
    for (const c of data.currencies) {
      const expected = totalsBy(
        deals().filter((d) => d.currency === c.currency),
        h.sandbox.store,
        (d) => [d.reminder_date.slice(0, 7)],
      );
      const keys = c.groups.map((g: { key: string }) => g.key);
      expect(keys).toEqual([...expected.keys()].sort());
      for (const g of c.groups) expect(g.total).toBeCloseTo(expected.get(g.key)?.total ?? Number.NaN, 2);
      const sum = c.groups.reduce((a: number, g: { total: number }) => a + g.total, 0);
      expect(sum).toBeCloseTo(c.total, 1);
    }
  });

  it("spreads a lead's value evenly over its service period months, and a window keeps only its part", async () => {
    const store = h.sandbox.store;
    const nicola = store.users.find((u) => u.firstname === "Nicola");
    const negotiating = store.categories.find((c) => c.name === "Verhandlungen"); // 60 %
    const base = {
      currency: "GBP", // a currency of its own, so the seed does not blur the figures
      reminder_date: "2027-01-15",
      user_id: nicola?.id,
      deal_category_id: negotiating?.id,
    };
    for (const input of [
      {
        ...base,
        name: "Spread A",
        money: 30_000,
        service_period_from: "2027-01-01",
        service_period_to: "2027-03-31",
      },
      {
        ...base,
        name: "Spread B",
        money: 12_000,
        status: "won",
        closed_on: "2026-11-20",
        service_period_from: "2027-03-01",
        service_period_to: "2027-06-30",
      },
    ]) {
      expect(store.createDeal(input).ok).toBe(true);
    }

    const months = byCurrency(await summary({ group_by: "month", month_basis: "service_period" }), "GBP");
    const split = Object.fromEntries(
      months.groups.map((g: { key: string; total: number; weighted: number }) => [
        g.key,
        [g.total, g.weighted],
      ]),
    );
    expect(split).toEqual({
      "2027-01": [10_000, 6_000],
      "2027-02": [10_000, 6_000],
      "2027-03": [13_000, 6_000],
      "2027-04": [3_000, 0],
      "2027-05": [3_000, 0],
      "2027-06": [3_000, 0],
    });

    const window = await summary({ month_basis: "service_period", from: "2027-02", to: "2027-04" });
    expect(byCurrency(window, "GBP")).toMatchObject({ count: 2, total: 26_000, weighted: 12_000 });
    const undated = deals().filter((d: DealRecord) => !d.service_period_from && !d.service_period_to).length;
    expect(window.undated).toBe(undated);
  });

  it("costs one MOCO request per 100 leads, with MOCO's filters pushed down", async () => {
    const before = h.sandbox.requests.length;
    const data = await summary({ status: "pending", tags: ["Wichtig"] });
    const sent = h.sandbox.requests.slice(before);
    const expected = deals().filter((d) => d.status === "pending" && d.tags.includes("Wichtig")).length;
    expect(sent).toHaveLength(Math.max(1, Math.ceil(expected / 100)));
    const query = new URLSearchParams(sent[0]?.query);
    expect(query.get("status")).toBe("pending");
    expect(query.get("tags")).toBe("Wichtig");
    expect(query.get("per_page")).toBe("100");
    expect(data.scanned).toBe(expected);

    const all = h.sandbox.requests.length;
    await summary();
    expect(h.sandbox.requests.length - all).toBe(Math.ceil(deals().length / 100));
  });

  it("refuses bad filters before asking MOCO", async () => {
    const before = h.sandbox.requests.length;
    const r = await h.call("pipeline_summary", { status: "opened" });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/status/);
    const unknown = await h.call("pipeline_summary", { user_id: 5 });
    expect(text(unknown)).toMatch(/user_id/);
    expect(unknown.isError).toBe(true);
    expect(h.sandbox.requests.length).toBe(before);
  });
});
