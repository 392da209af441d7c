import { afterEach, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * lead_changes' filter matches a lead as it is now or as it stood at since: a lead reassigned from
 * one owner to another since is among the changes of either, and the reply says how it matched.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function changes(harness: Harness, args: Record<string, unknown>) {
  const r = await harness.call("lead_changes", args);
  expect(r.isError, text(r)).toBeFalsy();
  return { data: sc(r), text: text(r) };
}

describe("lead_changes filter and leads moved out of it", () => {
  it("keeps the reassignment of a lead from the filtered owner to another, and says the filter covers both states", async () => {
    h = await startHarness({ mirror: { freshMs: 0 } });
    const harness = h;
    const { data: first } = await changes(harness, { since: "2000-01-01" });
    const since = first.history_start as string;
    const store = harness.sandbox.store;
    const lead = store.deals.find((d) => d.status === "pending") as DealRecord;
    const from = lead.user_id;
    const to = store.users.find((u) => u.id !== from && u.active) as { id: number };
    store.updateDeal(lead, { user_id: to.id });
    const before = await changes(harness, { since, filter: { user: from } });
    expect(before.data.changes.map((c: Json) => c.lead_id)).toContain(lead.id);
    expect(before.text).toContain("filter: leads that match it now or matched it at since");
    const after = await changes(harness, { since, filter: { user: to.id } });
    expect(after.data.changes.map((c: Json) => c.lead_id)).toContain(lead.id);
    // An owner the lead never had does not see it.
    const other = store.users.find((u) => u.id !== from && u.id !== to.id) as { id: number };
    const none = await changes(harness, { since, filter: { user: other.id } });
    expect(none.data.changes.map((c: Json) => c.lead_id)).not.toContain(lead.id);
  });
});
