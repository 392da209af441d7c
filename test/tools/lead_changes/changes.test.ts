import { afterEach, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A server with a lead mirror that syncs before every read, so edits in MOCO are seen at once. */
async function start(): Promise<Harness> {
  h = await startHarness({ mirror: { freshMs: 0 } });
  return h;
}

async function changes(harness: Harness, args: Record<string, unknown>) {
  const r = await harness.call("lead_changes", args);
  expect(r.isError, text(r)).toBeFalsy();
  return { data: sc(r), text: text(r) };
}

/** The first sync: the history's baseline. Returns where history begins. */
async function baseline(harness: Harness): Promise<string> {
  const { data } = await changes(harness, { since: "2000-01-01" });
  expect(data.changes).toEqual([]);
  expect(typeof data.history_start).toBe("string");
  return data.history_start as string;
}

const userName = (harness: Harness, id: number) => {
  const u = harness.sandbox.store.users.find((x) => x.id === id);
  return `${u?.firstname} ${u?.lastname}`;
};
const stage = (harness: Harness, id: number) => {
  const c = harness.sandbox.store.categories.find((x) => x.id === id);
  return `${c?.name} (${c?.probability} %)`;
};
const money = (n: number, currency: string) =>
  `${new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(n)} ${currency}`;

function pendingDeals(harness: Harness, n: number): DealRecord[] {
  const found = harness.sandbox.store.deals.filter((d) => d.status === "pending").slice(0, n);
  if (found.length < n) throw new Error("the seed lacks pending leads");
  return found;
}

describe("lead_changes", () => {
  it("shows writes made through the tools in the mirror and as changes with origin own", async () => {
    const harness = await start();
    const since = await baseline(harness);
    const user = harness.sandbox.store.users[0] as { id: number };
    const category = harness.sandbox.store.categories[0] as { id: number };
    const created = await harness.call("create_lead", {
      name: "Mirror GmbH – Website",
      currency: "EUR",
      money: 25000,
      reminder_date: "2026-12-01",
      user_id: user.id,
      deal_category_id: category.id,
    });
    expect(created.isError, text(created)).toBeFalsy();
    const id = sc(created).lead.id as number;
    const updated = await harness.call("update_lead", { id, money: 31337 });
    expect(updated.isError, text(updated)).toBeFalsy();
    // In the mirror at once, without a sync: its reads within any freshness window see our write.
    const held = (await harness.mirror?.read({ maxAgeMs: Number.POSITIVE_INFINITY }))?.leads;
    expect(held?.find((l) => l.id === id)?.money).toBe(31337);
    const preview = await harness.call("delete_lead", { id });
    const deleted = await harness.call("delete_lead", { id, confirm_token: sc(preview).confirm_token });
    expect(deleted.isError, text(deleted)).toBeFalsy();
    const { data } = await changes(harness, { since, lead_id: id });
    expect(data.changes.map((c: Json) => [c.kind, c.origin])).toEqual([
      ["created", "own"],
      ["updated", "own"],
      ["deleted", "own"],
    ]);
    expect(data.changes[1].changes).toEqual(["money: 25,000 EUR → 31,337 EUR"]);
    expect(data.changes[0]).toMatchObject({ lead_id: id, name: "Mirror GmbH – Website" });
    expect(data.changes[2].lead).toMatch(/^pending, 31,337 EUR/);
  });

  it("shows edits made in MOCO after a sync, field by field, after the next read", async () => {
    const harness = await start();
    const since = await baseline(harness);
    const store = harness.sandbox.store;
    const [edited, removed] = pendingDeals(harness, 2) as [DealRecord, DealRecord];
    const before = { ...edited };
    const otherUser = store.users.find((u) => u.id !== edited.user_id && u.active) as { id: number };
    const otherStage = store.categories.find((c) => c.id !== edited.deal_category_id) as { id: number };
    const write = store.updateDeal(edited, {
      money: 4321.5,
      user_id: otherUser.id,
      deal_category_id: otherStage.id,
      name: 'Neu "Phase 2"',
    });
    if (!write.ok) throw new Error(`sandbox refused the edit: ${JSON.stringify(write.body)}`);
    const made = store.createDeal({
      name: "Direkt in MOCO",
      currency: "CHF",
      money: 900,
      reminder_date: "2026-12-01",
      user_id: otherUser.id,
      deal_category_id: otherStage.id,
    });
    if (!made.ok) throw new Error(`sandbox refused the lead: ${JSON.stringify(made.body)}`);
    store.deleteDeal(removed);
    const { data } = await changes(harness, { since });
    const byLead = new Map<number, Json[]>();
    for (const c of data.changes) byLead.set(c.lead_id, [...(byLead.get(c.lead_id) ?? []), c]);
    const createdId = made.value.id;
    expect([...byLead.keys()].sort((a, b) => a - b)).toEqual(
      [edited.id, removed.id, createdId].sort((a, b) => a - b),
    );
    expect(data.changes.every((c: Json) => c.origin === "sync")).toBe(true);
    const [update] = byLead.get(edited.id) ?? [];
    expect(update).toMatchObject({ kind: "updated", name: 'Neu "Phase 2"' });
    expect(update?.changes).toEqual(
      expect.arrayContaining([
        `name: "${before.name}" → "Neu \\"Phase 2\\""`,
        `money: ${money(before.money, before.currency)} → ${money(4321.5, before.currency)}`,
        `owner: ${userName(harness, before.user_id)} → ${userName(harness, otherUser.id)}`,
        `stage: ${stage(harness, before.deal_category_id)} → ${stage(harness, otherStage.id)}`,
      ]),
    );
    expect(update?.changes.some((l: string) => l.startsWith("updated_at"))).toBe(false);
    expect(byLead.get(createdId)?.[0]).toMatchObject({ kind: "created", name: "Direkt in MOCO" });
    expect(byLead.get(removed.id)?.[0]).toMatchObject({ kind: "deleted", name: removed.name });
  });

  it("says plainly when since lies before the history start", async () => {
    const harness = await start();
    const start_ = await baseline(harness);
    const early = await changes(harness, { since: "2000-01-01" });
    expect(early.data.before_history).toBe(true);
    expect(early.data.history_start).toBe(start_);
    expect(early.text).toContain(`changes before ${start_} are not known`);
    expect(early.text).toContain("several edits of a lead between two syncs appear as one change");
    const later = await changes(harness, { since: start_ });
    expect(later.data.before_history).toBe(false);
    expect(later.text).not.toContain("are not known");
  });

  it("narrows the changes by lead_id and by list_leads' filters, and pages them", async () => {
    const harness = await start();
    const since = await baseline(harness);
    const store = harness.sandbox.store;
    const deals = pendingDeals(harness, 6);
    for (const d of deals) store.updateDeal(d, { info: `edit ${d.id}` });
    const one = deals[2] as DealRecord;
    const only = await changes(harness, { since, lead_id: one.id });
    expect(only.data.changes.map((c: Json) => c.lead_id)).toEqual([one.id]);
    const owner = one.user_id;
    const theirs = deals.filter((d) => d.user_id === owner).map((d) => d.id);
    const filtered = await changes(harness, { since, filter: { user: owner } });
    expect(filtered.data.changes.map((c: Json) => c.lead_id)).toEqual(theirs);
    expect(filtered.text).toContain(`Understood: user = ${userName(harness, owner)} (id ${owner})`);
    const first = await changes(harness, { since, limit: 4 });
    expect(first.data.changes).toHaveLength(4);
    const rest = await changes(harness, { since, limit: 4, cursor: first.data.next_cursor });
    expect(rest.data.next_cursor).toBeNull();
    expect([...first.data.changes, ...rest.data.changes].map((c: Json) => c.lead_id)).toEqual(
      deals.map((d) => d.id),
    );
    const bad = await harness.call("lead_changes", { since, filter: { owner: "x" } });
    expect(text(bad)).toMatch(/unknown argument "owner"/);
  });

  it("a filter keeps every change of a lead deleted since, matched as the lead was last seen", async () => {
    const harness = await start();
    const since = await baseline(harness);
    const store = harness.sandbox.store;
    const [gone, kept] = pendingDeals(harness, 2) as [DealRecord, DealRecord];
    store.updateDeal(gone, { info: "edited before it was deleted" });
    store.updateDeal(kept, { info: "edited" });
    const owner = gone.user_id;
    // Seen by a sync while it still exists, then deleted behind the server's back.
    await changes(harness, { since });
    store.deals.splice(store.deals.indexOf(gone), 1);
    const all = await changes(harness, { since, lead_id: gone.id });
    expect(all.data.changes.map((c: Json) => c.kind)).toEqual(["updated", "deleted"]);
    const mine = await changes(harness, { since, filter: { user: owner } });
    const ofGone = mine.data.changes.filter((c: Json) => c.lead_id === gone.id).map((c: Json) => c.kind);
    expect(ofGone).toEqual(["updated", "deleted"]);
    // A filter the lead did not match as last seen keeps neither.
    const other = store.users.find((u) => u.id !== owner) as { id: number };
    const theirs = await changes(harness, { since, filter: { user: other.id } });
    expect(theirs.data.changes.map((c: Json) => c.lead_id)).not.toContain(gone.id);
  });

  it("refuses with a clear next step when the lead store is off", async () => {
    h = await startHarness();
    const r = await h.call("lead_changes", { since: "2026-01-01" });
    const error = errorOf(r);
    expect(error.kind).toBe("invalid_input");
    expect(text(r)).toMatch(/needs the lead store/);
    expect(text(r)).toMatch(/MOCO_STORE/);
    expect(h.sandbox.requests.filter((q) => q.path.includes("/deals"))).toEqual([]);
  });

  it("costs at most 1,600 bytes of tools/list", async () => {
    h = await startHarness();
    const { tools } = await h.client.listTools();
    const entry = tools.find((t) => t.name === "lead_changes");
    expect(entry).toBeDefined();
    expect(Buffer.byteLength(JSON.stringify(entry))).toBeLessThanOrEqual(1600);
  });
});
