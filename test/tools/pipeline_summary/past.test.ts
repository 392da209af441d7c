import { afterEach, describe, expect, it, vi } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await h?.close();
  h = undefined;
});

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function summary(harness: Harness, args: Record<string, unknown> = {}) {
  const r = await harness.call("pipeline_summary", args);
  expect(r.isError, text(r)).toBeFalsy();
  return { data: sc(r), text: text(r) };
}

/**
 * A server whose lead history began yesterday at noon: the clock (Date only, no timers) starts there,
 * for the server, the sandbox and the first sync alike, then jumps to now and stays there. So "the
 * end of yesterday" lies between that baseline and today's edits. Returns yesterday's date and the
 * summary the first sync gave.
 */
async function historySinceYesterday(args: Record<string, unknown> = {}) {
  const now = Date.now();
  const yesterday = day(-1);
  vi.useFakeTimers({ toFake: ["Date"], now: new Date(`${yesterday}T12:00:00Z`) });
  h = await startHarness({ mirror: { freshMs: 0 } });
  const before = await summary(h, args);
  vi.setSystemTime(now);
  expect(h.mirror?.status().historyStart).toBe(`${yesterday}T12:00:00.000Z`);
  return { harness: h, yesterday, before };
}

const pending = (harness: Harness, currency: string) =>
  harness.sandbox.store.deals.filter(
    (d) =>
      d.status === "pending" &&
      d.currency === currency &&
      (harness.sandbox.store.categories.find((c) => c.id === d.deal_category_id)?.probability ?? 0) > 0,
  );
const probability = (harness: Harness, d: DealRecord) =>
  harness.sandbox.store.categories.find((c) => c.id === d.deal_category_id)?.probability ?? 0;

function ok<T>(result: { ok: true; value: T } | { ok: false; body: unknown }): T {
  if (!result.ok) throw new Error(`sandbox refused: ${JSON.stringify(result.body)}`);
  return result.value;
}

describe("pipeline_summary as_of and compare_to", () => {
  it("refuses an as_of before the history starts, naming the day it starts", async () => {
    const { harness, yesterday } = await historySinceYesterday();
    const r = await harness.call("pipeline_summary", { as_of: day(-2) });
    const error = errorOf(r);
    expect(error.kind).toBe("invalid_input");
    expect(error.fields).toEqual({ as_of: [yesterday] });
    expect(text(r)).toContain(`the lead history begins ${yesterday}`);
    expect(text(r)).toContain(`Give a day from ${yesterday} to ${day(0)}`);
  });

  it("as_of after some edits equals the summary computed before the edits", async () => {
    const args = { group_by: "stage", top: 3 };
    const { harness, yesterday, before } = await historySinceYesterday(args);
    const store = harness.sandbox.store;
    const [a, b, c] = pending(harness, "CHF") as [DealRecord, DealRecord, DealRecord];
    ok(store.updateDeal(a, { money: a.money * 3 + 1000 }));
    ok(store.updateDeal(b, { status: "won" }));
    store.deleteDeal(c);
    ok(store.createDeal({ ...newLead(harness, "EUR"), money: 55_000 }));
    const own = await harness.call("update_lead", {
      id: (pending(harness, "EUR")[0] as DealRecord).id,
      money: 1,
    });
    expect(own.isError, text(own)).toBeFalsy();
    const now = await summary(harness, args);
    expect(now.data.currencies).not.toEqual(before.data.currencies);
    const past = await summary(harness, { ...args, as_of: yesterday });
    expect(past.data.currencies).toEqual(before.data.currencies);
    expect(past.data.matched).toBe(before.data.matched);
    expect(past.data.as_of).toBe(yesterday);
    expect(past.text).toContain(`As of the end of ${yesterday} (UTC)`);
    const filtered = await summary(harness, { status: "pending", as_of: yesterday });
    const counts = filtered.data.currencies.map((x: Json) => [x.currency, x.count]);
    expect(counts.sort()).toEqual(pendingCounts(before.data).sort());
  });

  it("compare_to lists the leads that moved the weighted value, with why", async () => {
    const { harness, yesterday } = await historySinceYesterday();
    const store = harness.sandbox.store;
    const then = await summary(harness, { as_of: yesterday });
    const [grown, won, gone] = pending(harness, "CHF") as [DealRecord, DealRecord, DealRecord];
    const grownWas = (grown.money * probability(harness, grown)) / 100;
    const wonWas = (won.money * probability(harness, won)) / 100;
    const goneWas = (gone.money * probability(harness, gone)) / 100;
    ok(store.updateDeal(grown, { money: grown.money * 2 }));
    ok(store.updateDeal(won, { status: "won" }));
    store.deleteDeal(gone);
    const made = ok(store.createDeal({ ...newLead(harness, "CHF"), money: 10_000 }));
    const madeNow = (10_000 * probability(harness, made)) / 100;
    const r = await summary(harness, { compare_to: yesterday });
    const chf = (r.data.compared as Json[]).find((x) => x.currency === "CHF") as Json;
    const chfThen = (then.data.currencies as Json[]).find((x) => x.currency === "CHF") as Json;
    const chfNow = (r.data.currencies as Json[]).find((x) => x.currency === "CHF") as Json;
    expect(chf.was).toBeCloseTo(chfThen.weighted, 2);
    expect(chf.now).toBeCloseTo(chfNow.weighted, 2);
    const movers = new Map((chf.movers as Json[]).map((m) => [m.id, m]));
    expect([...movers.keys()].sort((x, y) => x - y)).toEqual(
      [grown.id, won.id, gone.id, made.id].sort((x, y) => x - y),
    );
    expect(movers.get(grown.id)).toMatchObject({ why: expect.stringMatching(/^money: /) });
    expect(movers.get(grown.id)?.was).toBeCloseTo(grownWas, 2);
    expect(movers.get(grown.id)?.now).toBeCloseTo(grownWas * 2, 2);
    expect(movers.get(won.id)).toMatchObject({
      now: 0,
      why: expect.stringContaining("status: pending → won"),
    });
    expect(movers.get(won.id)?.was).toBeCloseTo(wonWas, 2);
    expect(movers.get(gone.id)).toMatchObject({ now: 0, why: "deleted" });
    expect(movers.get(gone.id)?.was).toBeCloseTo(goneWas, 2);
    expect(movers.get(made.id)).toMatchObject({ was: 0, why: "created" });
    expect(movers.get(made.id)?.now).toBeCloseTo(madeNow, 2);
    expect(r.text).toContain(`Compared with the end of ${yesterday} (UTC) against now`);
    expect(r.text).toMatch(/CHF weighted [\d,.]+ CHF → [\d,.]+ CHF; moved most: lead \d+ /);
  });
});

/** A new pending lead in a stage with a probability, for the sandbox's own create. */
function newLead(harness: Harness, currency: string) {
  const store = harness.sandbox.store;
  const stage = store.categories.find((c) => c.probability > 0) as { id: number };
  return {
    name: `Neu ${currency}`,
    currency,
    reminder_date: day(7),
    user_id: (store.users[0] as { id: number }).id,
    deal_category_id: stage.id,
  };
}

/** [currency, number of pending leads] from a summary's by_status. */
const pendingCounts = (data: Json) =>
  (data.currencies as Json[])
    .filter((c) => c.by_status.pending)
    .map((c) => [c.currency, c.by_status.pending.count]);
