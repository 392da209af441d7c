import { afterEach, describe, expect, it } from "vitest";
import { apiLeads } from "../support/mirror-helpers.js";
import { type HookEnv, post, SECRET, startHookEnv } from "../support/webhook-helpers.js";

let h: HookEnv | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function started(options?: Parameters<typeof startHookEnv>[0]): Promise<HookEnv> {
  h = await startHookEnv(options);
  return h;
}

/** The mirror's leads as a read serves them (fresh for an hour: no sync, only what hooks applied). */
async function mirrored(e: HookEnv) {
  const read = await e.env.mirror.read();
  expect(read.sync).toBeUndefined();
  return read.leads;
}

const dealJson = (e: HookEnv, id: number) => {
  const deal = e.env.sandbox.store.deal(id);
  if (!deal) throw new Error(`no lead ${id}`);
  return JSON.parse(JSON.stringify(e.env.sandbox.store.dealJson(deal))) as { id: number; updated_at: string };
};

function someDeal(e: HookEnv, index = 3) {
  const deal = e.env.sandbox.store.deals[index];
  if (!deal) throw new Error("no lead");
  return deal;
}

const user = (e: HookEnv) => {
  const u = e.env.sandbox.store.users.find((x) => x.active);
  if (!u) throw new Error("no user");
  return { id: u.id, name: `${u.firstname} ${u.lastname}` };
};

describe("POST /webhooks/moco", () => {
  it("applies a signed Deal update at once, with who made it in the history, and the mirror equals MOCO", async () => {
    const e = await started();
    const deal = someDeal(e);
    e.env.sandbox.store.updateDeal(deal, { name: "Renamed by a colleague", money: 4321 });
    const since = new Date().toISOString();
    const { id, name } = user(e);
    const res = await post(e.url, {
      target: "Deal",
      event: "update",
      body: dealJson(e, deal.id),
      userId: id,
      accountUrl: e.accountUrl,
    });
    expect(res.status).toBe(202);
    await e.receiver.idle();
    expect(await mirrored(e)).toEqual(apiLeads(e.env.sandbox));
    const { changes } = await e.env.mirror.changes({ since });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ leadId: deal.id, kind: "updated", author: { id, name } });
    expect(changes[0]?.changes?.map((c) => c.field).sort()).toEqual(["money", "name"]);
  });

  it("applies create and delete, keeps the author out of the lead, and the mirror equals MOCO", async () => {
    const e = await started();
    const since = new Date().toISOString();
    const created = e.env.sandbox.store.createDeal({
      name: "New from MOCO",
      currency: "EUR",
      money: 100,
      reminder_date: e.env.sandbox.store.today,
      user_id: user(e).id,
      deal_category_id: e.env.sandbox.store.categories[0]?.id,
    });
    if (!created.ok) throw new Error(JSON.stringify(created.body));
    const gone = someDeal(e, 7);
    e.env.sandbox.store.deleteDeal(gone);
    const base = { accountUrl: e.accountUrl, userId: user(e).id };
    expect(
      (await post(e.url, { ...base, target: "Deal", event: "create", body: dealJson(e, created.value.id) }))
        .status,
    ).toBe(202);
    expect(
      (await post(e.url, { ...base, target: "Deal", event: "delete", body: { id: gone.id } })).status,
    ).toBe(202);
    await e.receiver.idle();
    expect(await mirrored(e)).toEqual(apiLeads(e.env.sandbox));
    const { changes } = await e.env.mirror.changes({ since });
    expect(changes.map((c) => [c.kind, c.leadId, c.author?.id])).toEqual([
      ["created", created.value.id, base.userId],
      ["deleted", gone.id, base.userId],
    ]);
    expect(changes[0]?.lead).not.toHaveProperty("author");
    const past = await e.env.mirror.stateAt(new Date().toISOString());
    expect(past.ok && past.leads).toEqual(apiLeads(e.env.sandbox));
  });

  it("refuses a wrong signature, a stale or future timestamp and an unsigned hook, and changes nothing", async () => {
    const e = await started();
    const deal = someDeal(e);
    const before = await mirrored(e);
    e.env.sandbox.store.updateDeal(deal, { name: "Should not arrive" });
    const hook = { target: "Deal", event: "update", body: dealJson(e, deal.id), accountUrl: e.accountUrl };
    const statuses = [
      (await post(e.url, { ...hook, secret: "ffffffffffffffffffffffffffffffff" })).status,
      (await post(e.url, { ...hook, timestamp: Date.now() - 6 * 60_000 })).status,
      (await post(e.url, { ...hook, timestamp: Date.now() + 5 * 60_000 })).status,
      (await post(e.url, { ...hook, signature: "" })).status,
      (await post(e.url, { ...hook, signature: "zz" })).status,
    ];
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    await e.receiver.idle();
    expect(await mirrored(e)).toEqual(before);
    expect((await e.env.mirror.changes({ since: "2000-01-01" })).changes).toEqual([]);
  });

  it("answers a replayed delivery 200 without applying it twice", async () => {
    const e = await started();
    const deal = someDeal(e);
    e.env.sandbox.store.updateDeal(deal, { money: 777 });
    const hook = {
      target: "Deal",
      event: "update",
      body: dealJson(e, deal.id),
      accountUrl: e.accountUrl,
      timestamp: Date.now(),
    };
    expect((await post(e.url, hook)).status).toBe(202);
    const again = await post(e.url, hook);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toEqual({ status: "duplicate" });
    await e.receiver.idle();
    expect((await e.env.mirror.changes({ since: "2000-01-01" })).changes).toHaveLength(1);
    expect(await mirrored(e)).toEqual(apiLeads(e.env.sandbox));
  });

  it("a duplicated delivery (the same change sent again, newly stamped) records nothing more", async () => {
    const e = await started();
    const deal = someDeal(e);
    e.env.sandbox.store.updateDeal(deal, { money: 778 });
    const body = dealJson(e, deal.id);
    expect(
      (await post(e.url, { target: "Deal", event: "update", body, accountUrl: e.accountUrl })).status,
    ).toBe(202);
    // The same lead, serialised with a different key order: another signature, the same change.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    expect(
      (await post(e.url, { target: "Deal", event: "update", body: reordered, accountUrl: e.accountUrl }))
        .status,
    ).toBe(202);
    await e.receiver.idle();
    expect((await e.env.mirror.changes({ since: "2000-01-01" })).changes).toHaveLength(1);
    expect(await mirrored(e)).toEqual(apiLeads(e.env.sandbox));
  });

  it("out of order: an older update never overwrites a newer one, and a deleted lead stays deleted", async () => {
    const e = await started();
    const a = someDeal(e, 4);
    e.env.sandbox.store.updateDeal(a, { money: 1 });
    const older = dealJson(e, a.id);
    e.env.sandbox.store.updateDeal(a, { money: 2 });
    const newer = dealJson(e, a.id);
    const b = someDeal(e, 9);
    e.env.sandbox.store.updateDeal(b, { money: 3 });
    const bUpdate = dealJson(e, b.id);
    e.env.sandbox.store.deleteDeal(b);
    const hook = (event: string, body: unknown) => ({
      target: "Deal",
      event,
      body,
      accountUrl: e.accountUrl,
    });
    // MOCO stamps a delete after the update it follows (the sandbox's clock runs a second ahead per write).
    const deletedAt = Math.max(Date.now(), Date.parse(bUpdate.updated_at) + 1);
    for (const delivery of [
      hook("update", newer),
      { ...hook("delete", { id: b.id }), timestamp: deletedAt },
      hook("update", older),
      hook("update", bUpdate),
    ]) {
      expect((await post(e.url, delivery)).status).toBe(202);
    }
    await e.receiver.idle();
    expect(await mirrored(e)).toEqual(apiLeads(e.env.sandbox));
  });

  it("acknowledges and ignores a hook for an account not served here, or for another target", async () => {
    const e = await started();
    const deal = someDeal(e);
    const before = await mirrored(e);
    e.env.sandbox.store.updateDeal(deal, { name: "Other account" });
    const body = dealJson(e, deal.id);
    const other = await post(e.url, {
      target: "Deal",
      event: "update",
      body,
      accountUrl: "https://other.mocoapp.com",
    });
    const project = await post(e.url, { target: "Project", event: "update", body, accountUrl: e.accountUrl });
    expect([other.status, project.status]).toEqual([200, 200]);
    expect(JSON.parse(other.body)).toEqual({ status: "ignored" });
    await e.receiver.idle();
    expect(await mirrored(e)).toEqual(before);
  });

  it("records a note on a lead with its author, leaving the lead as it is", async () => {
    const e = await started();
    const deal = someDeal(e);
    const before = await mirrored(e);
    const since = new Date().toISOString();
    const { id, name } = user(e);
    const comment = {
      id: 99,
      commentable_id: deal.id,
      commentable_type: "Deal",
      text: "Called, wants an offer",
    };
    const res = await post(e.url, {
      target: "Comment",
      event: "create",
      body: comment,
      userId: id,
      accountUrl: e.accountUrl,
    });
    expect(res.status).toBe(202);
    await e.receiver.idle();
    expect(await mirrored(e)).toEqual(before);
    const { changes } = await e.env.mirror.changes({ since });
    expect(changes).toMatchObject([
      {
        leadId: deal.id,
        kind: "updated",
        author: { id, name },
        changes: [{ field: "note", new: comment.text }],
      },
    ]);
  });

  it("refuses a body over the cap before reading it (413), and a body that is not JSON (400)", async () => {
    const e = await started({ maxBodyBytes: 1024 });
    const big = await post(e.url, {
      target: "Deal",
      event: "update",
      body: { id: 1, pad: "x".repeat(4096) },
      accountUrl: e.accountUrl,
    });
    expect(big.status).toBe(413);
    const { sign } = await import("../../src/webhooks/index.js");
    const text = "not json";
    const res = await fetch(e.url, {
      method: "POST",
      body: text,
      headers: {
        "x-moco-signature": sign(SECRET, Buffer.from(text)),
        "x-moco-timestamp": String(Date.now()),
        "x-moco-target": "Deal",
        "x-moco-event": "update",
        "x-moco-account-url": e.accountUrl,
      },
    });
    expect(res.status).toBe(400);
  });
});
