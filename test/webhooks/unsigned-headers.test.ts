import { afterEach, describe, expect, it } from "vitest";
import { apiLeads } from "../support/mirror-helpers.js";
import { type HookEnv, post, startHookEnv } from "../support/webhook-helpers.js";

/**
 * MOCO signs the body only: X-Moco-Event, X-Moco-User-Id and X-Moco-Timestamp can be changed by whoever
 * captured a delivery. A signed lead body sent again as a `delete` must not remove the lead nor record a
 * deletion by a made-up author.
 */

let h: HookEnv | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A receiver whose clock the test moves (the replay guard's window included). */
async function started() {
  let clock = Date.now();
  h = await startHookEnv({ now: () => clock });
  const e = h;
  const deal = e.env.sandbox.store.deals[3];
  if (!deal) throw new Error("no lead");
  const hook = (event: string, body: unknown, userId?: number) => ({
    target: "Deal",
    event,
    body,
    accountUrl: e.accountUrl,
    timestamp: clock,
    ...(userId === undefined ? {} : { userId }),
  });
  const later = (ms: number) => {
    clock += ms;
  };
  const dealJson = () => JSON.parse(JSON.stringify(e.env.sandbox.store.dealJson(deal))) as { id: number };
  const deletions = async () =>
    (await e.env.mirror.changes({ since: "2000-01-01" })).changes.filter((c) => c.kind === "deleted");
  return { e, deal, hook, later, dealJson, deletions };
}

describe("webhook headers MOCO does not sign", () => {
  it("a signed update body replayed later as a delete with another author is refused, and the lead stays", async () => {
    const { e, deal, hook, later, dealJson, deletions } = await started();
    e.env.sandbox.store.updateDeal(deal, { name: "Renamed at MOCO" });
    const body = dealJson();
    expect((await post(e.url, hook("update", body, 1))).status).toBe(202);
    await e.receiver.idle();
    later(10 * 60_000); // the replay guard's window is long gone
    const replay = await post(e.url, hook("delete", body, 2));
    expect(replay.status).toBe(409);
    expect(JSON.parse(replay.body).error).toMatch(/event "update", not "delete"/);
    await e.receiver.idle();
    expect((await e.env.mirror.read()).leads.map((l) => l.id)).toContain(deal.id);
    expect(await deletions()).toEqual([]);
  });

  it("the same signed body under the same event after the window is taken again, and changes nothing", async () => {
    const { e, deal, hook, later, dealJson } = await started();
    e.env.sandbox.store.updateDeal(deal, { money: 4242 });
    const body = dealJson();
    expect((await post(e.url, hook("update", body))).status).toBe(202);
    later(10 * 60_000);
    expect((await post(e.url, hook("update", body))).status).toBe(202);
    await e.receiver.idle();
    expect((await e.env.mirror.changes({ since: "2000-01-01" })).changes).toHaveLength(1);
  });

  it("a delete whose body is a whole lead (never seen before) is ignored, not applied", async () => {
    const { e, deal, hook, dealJson, deletions } = await started();
    const res = await post(e.url, hook("delete", dealJson(), 2));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: "ignored" });
    await e.receiver.idle();
    expect((await e.env.mirror.read()).leads.map((l) => l.id)).toContain(deal.id);
    expect(await deletions()).toEqual([]);
  });

  it("a delete of a lead MOCO still has is not applied: the lead is taken as MOCO returns it, with no author", async () => {
    const { e, deal, hook, deletions } = await started();
    e.env.sandbox.store.updateDeal(deal, { name: "Still at MOCO" });
    const since = new Date(0).toISOString();
    expect((await post(e.url, hook("delete", { id: deal.id }, 2))).status).toBe(202);
    await e.receiver.idle();
    const read = await e.env.mirror.read();
    expect(read.sync).toBeUndefined(); // no sync ran: what changed came from the hook's check with MOCO
    expect(read.leads).toEqual(apiLeads(e.env.sandbox));
    expect(await deletions()).toEqual([]);
    const { changes } = await e.env.mirror.changes({ since });
    expect(changes.map((c) => [c.kind, c.leadId, c.author])).toEqual([["updated", deal.id, null]]);
  });

  it("a delete MOCO confirms with a 404 is applied, with the author the hook names", async () => {
    const { e, deal, hook, deletions } = await started();
    e.env.sandbox.store.deleteDeal(deal);
    const user = e.env.sandbox.store.users.find((u) => u.active);
    expect((await post(e.url, hook("delete", { id: deal.id }, user?.id))).status).toBe(202);
    await e.receiver.idle();
    expect((await e.env.mirror.read()).leads).toEqual(apiLeads(e.env.sandbox));
    expect((await deletions()).map((c) => [c.leadId, c.author?.id])).toEqual([[deal.id, user?.id]]);
  });
});
