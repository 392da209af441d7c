import { afterEach, describe, expect, it } from "vitest";
import { createLead, deleteLead, updateLead } from "../../../src/moco/leads.js";
import { apiLeads, type MirrorEnv, startEnv } from "../../support/mirror-helpers.js";

let env: MirrorEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const FOREVER = Number.POSITIVE_INFINITY;

async function synced(): Promise<MirrorEnv> {
  env = await startEnv({ mirror: { freshMs: 3_600_000 } });
  await env.mirror.read();
  return env;
}

describe("history", () => {
  it("records field-level changes (field: old → new) with the time seen, bookkeeping left out", async () => {
    const e = await synced();
    const deal = e.sandbox.store.deals[5];
    if (!deal) throw new Error("no lead");
    const before = apiLeads(e.sandbox).find((l) => l.id === deal.id);
    const category = e.sandbox.store.categories.find((c) => c.id !== deal.deal_category_id);
    e.sandbox.store.updateDeal(deal, {
      status: "won",
      money: 123.45,
      deal_category_id: category?.id,
      custom_properties: { Quelle: "Messe" },
    });
    const since = new Date().toISOString();
    const report = await e.mirror.sync();
    const after = apiLeads(e.sandbox).find((l) => l.id === deal.id);
    const page = await e.mirror.changes({ since });
    expect(page.changes).toHaveLength(1);
    const [change] = page.changes;
    expect(change).toMatchObject({
      leadId: deal.id,
      kind: "updated",
      origin: "sync",
      seenAt: report.syncedAt,
      name: after?.name,
    });
    const fields = Object.fromEntries(
      (change?.changes ?? []).map((c) => [c.key ? `${c.field}.${c.key}` : c.field, [c.old, c.new]]),
    );
    expect(fields.status).toEqual([before?.status, "won"]);
    expect(fields.money).toEqual([before?.money, 123.45]);
    expect(fields.category).toEqual([before?.category, after?.category]);
    expect(fields["custom_properties.Quelle"]).toEqual([before?.custom_properties.Quelle, "Messe"]);
    expect(fields.updated_at).toBeUndefined();
  });

  it("pages changes with a cursor, filters by lead, and says where history begins", async () => {
    const e = await synced();
    const start = e.mirror.status().historyStart;
    for (const deal of e.sandbox.store.deals.slice(0, 7))
      e.sandbox.store.updateDeal(deal, { info: `edit ${deal.id}` });
    await e.mirror.sync();
    const first = await e.mirror.changes({ since: "2000-01-01", limit: 3 });
    expect(first.changes).toHaveLength(3);
    expect(first.historyStart).toBe(start);
    expect(first.beforeHistory).toBe(true);
    const second = await e.mirror.changes({
      since: "2000-01-01",
      limit: 3,
      cursor: first.nextCursor ?? undefined,
    });
    const third = await e.mirror.changes({
      since: "2000-01-01",
      limit: 3,
      cursor: second.nextCursor ?? undefined,
    });
    expect(third.nextCursor).toBeNull();
    const ids = [...first.changes, ...second.changes, ...third.changes].map((c) => c.leadId);
    expect(ids).toEqual(e.sandbox.store.deals.slice(0, 7).map((d) => d.id));
    const one = e.sandbox.store.deals[3]?.id as number;
    expect(
      (await e.mirror.changes({ since: start as string, leadId: one })).changes.map((c) => c.leadId),
    ).toEqual([one]);
    const pending = e.sandbox.store.deals
      .slice(0, 7)
      .filter((d) => d.status === "pending")
      .map((d) => d.id);
    expect(pending.length).toBeGreaterThan(0);
    const matched = await e.mirror.changes({
      since: start as string,
      match: (_c, l) => l?.status === "pending",
    });
    expect(matched.changes.map((c) => c.leadId)).toEqual(pending);
  });

  it("refuses a state before the history starts, naming the start", async () => {
    const e = await synced();
    const start = e.mirror.status().historyStart as string;
    const refused = await e.mirror.stateAt(new Date(Date.parse(start) - 1000).toISOString());
    expect(refused).toMatchObject({ ok: false, historyStart: start });
    const at = await e.mirror.stateAt(start);
    expect(at.ok && at.leads).toEqual(apiLeads(e.sandbox));
  });

  it("prunes history past the retention period and moves the history start", async () => {
    env = await startEnv({ mirror: { retentionDays: 1 } });
    await env.mirror.read();
    const deal = env.sandbox.store.deals[0];
    if (!deal) throw new Error("no lead");
    env.sandbox.store.updateDeal(deal, { info: "x" });
    await env.mirror.sync();
    expect(await env.mirror.prune(Date.now() + 3 * 86_400_000)).toBe(1);
    const start = env.mirror.status().historyStart as string;
    expect(Date.parse(start)).toBeGreaterThan(Date.now());
    expect((await env.mirror.changes({ since: "2000-01-01" })).changes).toEqual([]);
  });
});

describe("our own writes", () => {
  it("a create, an update and a delete reach the mirror at once, recorded as our own, and a later sync adds nothing", async () => {
    const e = await synced();
    const { store } = e.sandbox;
    const requests = () => e.sandbox.requests.length;
    const created = await createLead(e.moco, {
      name: "Own lead",
      currency: "CHF",
      money: 5000,
      reminder_date: store.today,
      user_id: store.profileUserId,
      deal_category_id: store.categories[1]?.id,
    });
    expect(await e.mirror.applyWrite(created)).toBe(true);
    const updated = await updateLead(e.moco, created.id, { money: 7000 });
    expect(await e.mirror.applyWrite(updated)).toBe(true);
    const victim = store.deals[0]?.id as number;
    await deleteLead(e.moco, victim);
    expect(await e.mirror.applyDelete(victim)).toBe(true);
    const n = requests();
    const warm = await e.mirror.read();
    expect(requests()).toBe(n);
    expect(warm.leads).toEqual(apiLeads(e.sandbox));
    const page = await e.mirror.changes({ since: "2000-01-01" });
    expect(page.changes.map((c) => [c.leadId, c.kind, c.origin])).toEqual([
      [created.id, "created", "own"],
      [created.id, "updated", "own"],
      [victim, "deleted", "own"],
    ]);
    expect(page.changes[1]?.changes).toEqual([{ field: "money", old: 5000, new: 7000 }]);
    const report = await e.mirror.sync();
    expect(report).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect((await e.mirror.changes({ since: "2000-01-01" })).changes).toHaveLength(3);
  });

  it("an own delete during a running sync is not undone by that sync's earlier read", async () => {
    const e = await synced();
    const deal = e.sandbox.store.deals[2];
    if (!deal) throw new Error("no lead");
    e.sandbox.store.updateDeal(deal, { name: "Changed elsewhere, then deleted by us" });
    // The sync's count request is held while we delete: by then its delta has read the lead.
    e.sandbox.faults.push({
      kind: "slow",
      delayMs: 1500,
      method: "GET",
      path: "/deals",
      query: "per_page=1",
    });
    const running = e.mirror.sync();
    const held = () => e.sandbox.requests.some((r) => r.query === "per_page=1" && r.status === 0);
    while (!held()) await new Promise((resolve) => setTimeout(resolve, 5));
    await deleteLead(e.moco, deal.id);
    await e.mirror.applyDelete(deal.id);
    await running;
    const read = await e.mirror.read({ maxAgeMs: FOREVER });
    expect(read.leads.some((l) => l.id === deal.id)).toBe(false);
    expect(read.leads).toEqual(apiLeads(e.sandbox));
    const history = await e.mirror.changes({ since: "2000-01-01", leadId: deal.id });
    expect(history.changes.map((c) => [c.kind, c.origin])).toEqual([["deleted", "own"]]);
  });

  it("before the first sync our writes are left to that sync", async () => {
    env = await startEnv();
    const lead = apiLeads(env.sandbox)[0];
    if (!lead) throw new Error("no lead");
    expect(await env.mirror.applyWrite(lead)).toBe(false);
    expect((await env.mirror.read()).leads).toEqual(apiLeads(env.sandbox));
  });
});
