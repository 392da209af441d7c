import { afterEach, describe, expect, it, vi } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * lead_changes answers "what changed?" right after an edit in MOCO: it syncs when its copy is older
 * than a few seconds (the mirror's own window is 30 s), takes max_age_seconds, and says how old the
 * copy is, never "up to date" for an older one. The clock (Date only) is frozen, so ages are exact.
 */
let h: Harness | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await h?.close();
  h = undefined;
});

const T0 = Date.parse("2026-12-07T14:02:00Z");

async function started(): Promise<{ harness: Harness; since: string }> {
  vi.useFakeTimers({ toFake: ["Date"], now: T0 });
  // The mirror's default freshness window (30 s), as the bin runs it.
  h = await startHarness({ mirror: true, sandbox: { today: "2026-12-07" } });
  const first = await h.call("lead_changes", { since: "2026-12-07" });
  expect(first.isError, text(first)).toBeFalsy();
  return { harness: h, since: sc(first).history_start as string };
}

function editInMoco(harness: Harness): DealRecord {
  const deal = harness.sandbox.store.deals.find((d) => d.status === "pending") as DealRecord;
  const write = harness.sandbox.store.updateDeal(deal, { info: "Angebot nachgefasst" });
  if (!write.ok) throw new Error(`sandbox refused the edit: ${JSON.stringify(write.body)}`);
  return deal;
}

async function changes(harness: Harness, args: Record<string, unknown>) {
  const r = await harness.call("lead_changes", args);
  expect(r.isError, text(r)).toBeFalsy();
  return { data: sc(r), text: text(r) };
}

describe("lead_changes on a copy seconds old", () => {
  it("syncs first when its copy is older than 5 s, though the mirror's window is 30 s", async () => {
    const { harness, since } = await started();
    vi.setSystemTime(T0 + 10_000);
    const deal = editInMoco(harness);
    const before = harness.sandbox.requests.length;
    const r = await changes(harness, { since });
    expect(harness.sandbox.requests.slice(before).some((q) => q.path === "/deals")).toBe(true);
    expect(r.data.changes.map((c: Json) => [c.lead_id, c.kind])).toEqual([[deal.id, "updated"]]);
    expect(r.text).toContain("Copy of MOCO as of 14:02:10 UTC, 0 s ago (synced for this answer");
  });

  it("max_age_seconds 0 syncs first even when the copy is under a second old", async () => {
    const { harness, since } = await started();
    const deal = editInMoco(harness);
    const r = await changes(harness, { since, max_age_seconds: 0 });
    expect(r.data.changes.map((c: Json) => c.lead_id)).toEqual([deal.id]);
  });

  it("states the age of an older copy it answers from, and never calls it up to date", async () => {
    const { harness, since } = await started();
    vi.setSystemTime(T0 + 20_000);
    editInMoco(harness);
    const before = harness.sandbox.requests.length;
    const r = await changes(harness, { since, max_age_seconds: 60 });
    expect(harness.sandbox.requests.slice(before)).toEqual([]);
    expect(r.data.changes).toEqual([]);
    expect(r.text).toContain("Copy of MOCO as of 14:02:00 UTC, 20 s ago");
    expect(r.text).toContain("edits made in MOCO since then are not in it (max_age_seconds 0 syncs first)");
    expect(r.text.toLowerCase()).not.toContain("up to date");
  });
});
