import { afterEach, describe, expect, it, vi } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * "What changed since yesterday?" on a server whose history began today: the history cannot say,
 * but MOCO's own timestamps (created_at, updated_at, closed_on with the status) can say which leads
 * moved, without fields. lead_changes lists those in the same call, each marked as not from history.
 * The clock (Date only) starts yesterday afternoon, when the edits are made in MOCO, and jumps to
 * today noon before the server's first sync.
 */
let h: Harness | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await h?.close();
  h = undefined;
});

const YESTERDAY = "2026-12-06";
const TODAY = "2026-12-07";

function ok<T>(result: { ok: true; value: T } | { ok: false; body: unknown }): T {
  if (!result.ok) throw new Error(`sandbox refused: ${JSON.stringify(result.body)}`);
  return result.value;
}

/** The edits made in MOCO yesterday, before the server's first sync. */
async function editedYesterday() {
  vi.useFakeTimers({ toFake: ["Date"], now: new Date(`${YESTERDAY}T15:00:00Z`) });
  h = await startHarness({ mirror: true, sandbox: { today: TODAY } });
  const store = h.sandbox.store;
  const [edited, won, lost] = store.deals.filter((d) => d.status === "pending") as [
    DealRecord,
    DealRecord,
    DealRecord,
  ];
  ok(store.updateDeal(edited, { info: "Rückruf vereinbart" }));
  ok(store.updateDeal(won, { status: "won", closed_on: YESTERDAY }));
  ok(store.updateDeal(lost, { status: "lost", closed_on: YESTERDAY }));
  const created = ok(
    store.createDeal({
      name: "Neu gestern",
      currency: "CHF",
      money: 1200,
      reminder_date: TODAY,
      user_id: (store.users[0] as { id: number }).id,
      deal_category_id: (store.categories[0] as { id: number }).id,
    }),
  );
  vi.setSystemTime(new Date(`${TODAY}T12:00:00Z`));
  return { harness: h, edited, won, lost, created };
}

/** The leads MOCO's timestamps place since `day`, by the rule the tool promises. */
const movedSince = (harness: Harness, day: string) =>
  harness.sandbox.store.deals
    .filter(
      (d) =>
        d.created_at >= day ||
        d.updated_at >= day ||
        (d.closed_on >= day && ["won", "lost", "dropped"].includes(d.status)),
    )
    .map((d) => d.id)
    .sort((a, b) => a - b);

async function changes(harness: Harness, args: Record<string, unknown>) {
  const r = await harness.call("lead_changes", args);
  expect(r.isError, text(r)).toBeFalsy();
  return { data: sc(r), text: text(r) };
}

describe("lead_changes with since before the history begins", () => {
  it("lists the leads MOCO's timestamps show as created, updated, won or lost since then, each marked as not from history", async () => {
    const { harness, edited, won, lost, created } = await editedYesterday();
    const r = await changes(harness, { since: YESTERDAY, limit: 200 });
    expect(r.data.before_history).toBe(true);
    expect(r.data.history_start).toBe(`${TODAY}T12:00:00.000Z`);
    expect(r.data.changes).toEqual([]);
    const stamped = r.data.from_timestamps as Json[];
    expect(stamped.map((s) => s.lead_id).sort((a, b) => a - b)).toEqual(movedSince(harness, YESTERDAY));
    const byId = new Map(stamped.map((s) => [s.lead_id, s]));
    expect(byId.get(edited.id)?.events).toEqual(["updated"]);
    expect(byId.get(won.id)?.events).toEqual(["updated", "won"]);
    expect(byId.get(lost.id)?.events).toEqual(["updated", "lost"]);
    expect(byId.get(created.id)).toMatchObject({ name: "Neu gestern", events: ["created"] });
    for (const s of stamped) {
      expect(s).toMatchObject({
        source: "MOCO's timestamps, not history: fields unknown",
        fields_known: false,
      });
    }
    // It leads with where history begins, then the timestamps, then the history's own count.
    const summary = r.text.split("\n")[0] as string;
    expect(summary.startsWith(`History begins ${TODAY}T12:00:00.000Z`)).toBe(true);
    const counted = summary.indexOf(
      `From MOCO's timestamps, not history: fields unknown (in from_timestamps): ${stamped.length} leads since ${YESTERDAY}`,
    );
    expect(counted).toBeGreaterThan(0);
    const n = (event: string) => stamped.filter((s) => s.events.includes(event)).length;
    expect(summary).toContain(`— 1 created, ${n("updated")} updated, ${n("won")} won, ${n("lost")} lost`);
    expect(counted).toBeLessThan(summary.indexOf("0 changes on 0 leads"));
  });

  it("applies lead_id and the filter to the timestamps view too, and caps it at limit, newest first", async () => {
    const { harness, won } = await editedYesterday();
    const one = await changes(harness, { since: YESTERDAY, lead_id: won.id });
    expect(one.data.from_timestamps.map((s: Json) => s.lead_id)).toEqual([won.id]);
    const wonOnly = await changes(harness, { since: YESTERDAY, filter: { status: "won" }, limit: 200 });
    expect(wonOnly.data.from_timestamps.length).toBeGreaterThan(0);
    expect(wonOnly.data.from_timestamps.every((s: Json) => s.status === "won")).toBe(true);
    const total = movedSince(harness, YESTERDAY).length;
    expect(total).toBeGreaterThan(2);
    const capped = await changes(harness, { since: YESTERDAY, limit: 2 });
    expect(capped.data.from_timestamps).toHaveLength(2);
    const newest = [...harness.sandbox.store.deals].sort(
      (a, b) => b.updated_at.localeCompare(a.updated_at) || a.id - b.id,
    );
    expect(capped.data.from_timestamps.map((s: Json) => s.lead_id)).toEqual(
      newest.slice(0, 2).map((d) => d.id),
    );
    expect(capped.text).toContain(`(first 2 of ${total}, newest first)`);
  });

  it("adds no timestamps view when since lies within the history", async () => {
    const { harness } = await editedYesterday();
    const first = await changes(harness, { since: YESTERDAY });
    const later = await changes(harness, { since: first.data.history_start });
    expect(later.data.before_history).toBe(false);
    expect(later.data.from_timestamps).toBeUndefined();
    expect(later.text).not.toContain("MOCO's timestamps");
  });
});
