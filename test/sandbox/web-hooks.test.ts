import { afterEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { apiLeads } from "../support/mirror-helpers.js";
import { type HookEnv, startHookEnv } from "../support/webhook-helpers.js";

let sandbox: Sandbox | undefined;
let h: HookEnv | undefined;
afterEach(async () => {
  await sandbox?.close();
  await h?.close();
  sandbox = undefined;
  h = undefined;
});

async function api(s: Sandbox, method: string, path: string, body?: unknown) {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: { Authorization: `Token token=${s.apiKey}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe("the sandbox's /account/web_hooks", () => {
  it("registers, lists, reads, changes the URL of, disables, enables and deletes a hook as MOCO does", async () => {
    sandbox = await startSandbox();
    const s = sandbox;
    const made = await api(s, "POST", "/account/web_hooks", {
      target: "Deal",
      event: "update",
      hook: "https://a.test/h",
    });
    expect(made.status).toBe(200);
    expect(Object.keys(made.json ?? {}).sort()).toEqual(
      ["created_at", "disabled", "disabled_at", "event", "hook", "id", "target", "updated_at"].sort(),
    );
    const id = made.json?.id as number;
    expect((await api(s, "GET", "/account/web_hooks")).json).toEqual([made.json]);
    expect((await api(s, "PUT", `/account/web_hooks/${id}`, { hook: "https://b.test/h" })).json?.hook).toBe(
      "https://b.test/h",
    );
    expect((await api(s, "PUT", `/account/web_hooks/${id}/disable`)).json?.disabled).toBe(true);
    expect((await api(s, "GET", `/account/web_hooks/${id}`)).json?.disabled_at).not.toBeNull();
    expect((await api(s, "PUT", `/account/web_hooks/${id}/enable`)).json?.disabled).toBe(false);
    expect((await api(s, "DELETE", `/account/web_hooks/${id}`)).status).toBeLessThan(300);
    expect((await api(s, "GET", `/account/web_hooks/${id}`)).status).toBe(404);
    const wrong = await api(s, "POST", "/account/web_hooks", {
      target: "Nothing",
      event: "later",
      hook: "ftp://x",
    });
    expect(wrong.status).toBe(422);
    expect(Object.keys(wrong.json ?? {}).sort()).toEqual(["event", "hook", "target"]);
  });
});

/** The sandbox's hooks for leads and notes point at a receiver whose mirror reads the same sandbox. */
async function wired(): Promise<HookEnv> {
  h = await startHookEnv();
  for (const target of ["Deal", "Comment"])
    for (const event of ["create", "update", "delete"]) {
      const res = await api(h.env.sandbox, "POST", "/account/web_hooks", { target, event, hook: h.url });
      expect(res.status).toBe(200);
    }
  return h;
}

/** Makes a few changes of each kind in the sandbox, through its API as a colleague would. */
async function changeThings(e: HookEnv) {
  const s = e.env.sandbox;
  const [a, b, c] = s.store.deals.slice(20, 23);
  if (!a || !b || !c) throw new Error("no leads");
  await api(s, "PUT", `/deals/${a.id}`, { money: 11 });
  await api(s, "PUT", `/deals/${a.id}`, { name: "Renamed twice" });
  await api(s, "PUT", `/deals/${b.id}`, { money: 22 });
  await api(s, "DELETE", `/deals/${c.id}`);
  const created = await api(s, "POST", "/deals", {
    name: "Brand new",
    currency: "EUR",
    money: 5,
    reminder_date: s.store.today,
    user_id: s.store.profileUserId,
    deal_category_id: s.store.categories[0]?.id,
  });
  expect(created.status).toBe(200);
  await api(s, "POST", "/comments", { commentable_id: b.id, commentable_type: "Deal", text: "Offer sent" });
  return { a, b, c };
}

async function settled(e: HookEnv) {
  await e.env.sandbox.store.webHooks.settled();
  await e.receiver.idle();
}

const mirrored = async (e: HookEnv) => {
  const read = await e.env.mirror.read();
  expect(read.sync).toBeUndefined();
  return read.leads;
};

describe("the sandbox sends signed webhooks for its own changes", () => {
  it("the mirror ends equal to the sandbox, each change with its author", async () => {
    const e = await wired();
    const since = new Date().toISOString();
    const { b } = await changeThings(e);
    await settled(e);
    const sent = e.env.sandbox.store.webHooks.deliveries;
    expect(sent.length).toBe(6);
    expect(sent.every((d) => d.status === 202)).toBe(true);
    expect(await mirrored(e)).toEqual(apiLeads(e.env.sandbox));
    const { changes } = await e.env.mirror.changes({ since });
    const me = e.env.sandbox.store.profile();
    expect(changes.length).toBeGreaterThan(0);
    expect(
      changes.every((c) => c.author?.id === me.id && c.author.name === `${me.firstname} ${me.lastname}`),
    ).toBe(true);
    expect(changes.some((c) => c.leadId === b.id && c.changes?.some((f) => f.field === "note"))).toBe(true);
  });

  it("bad signatures and late stamps are refused, and change nothing", async () => {
    const e = await wired();
    const before = await mirrored(e);
    e.env.sandbox.store.webHooks.tamper = "bad";
    const [x, y] = e.env.sandbox.store.deals.slice(30, 32);
    if (!x || !y) throw new Error("no leads");
    await api(e.env.sandbox, "PUT", `/deals/${x.id}`, { money: 1 });
    e.env.sandbox.store.webHooks.tamper = "late";
    await api(e.env.sandbox, "PUT", `/deals/${y.id}`, { money: 2 });
    await settled(e);
    expect(e.env.sandbox.store.webHooks.deliveries.map((d) => [d.tamper, d.status])).toEqual([
      ["bad", 401],
      ["late", 401],
    ]);
    expect(await mirrored(e)).toEqual(before);
  });

  it("duplicated deliveries are applied once", async () => {
    const e = await wired();
    e.env.sandbox.store.webHooks.tamper = "duplicate";
    const since = new Date().toISOString();
    await changeThings(e);
    await settled(e);
    const statuses = e.env.sandbox.store.webHooks.deliveries.map((d) => d.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(6);
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(await mirrored(e)).toEqual(apiLeads(e.env.sandbox));
    expect((await e.env.mirror.changes({ since })).changes).toHaveLength(6); // each change once
  });

  it("reordered deliveries (newest first) leave the mirror equal to the sandbox", async () => {
    const e = await wired();
    e.env.sandbox.store.webHooks.tamper = "reorder";
    await changeThings(e);
    expect(e.env.sandbox.store.webHooks.deliveries).toHaveLength(0);
    e.env.sandbox.store.webHooks.releaseHeld();
    await settled(e);
    expect(e.env.sandbox.store.webHooks.deliveries).toHaveLength(6);
    expect(await mirrored(e)).toEqual(apiLeads(e.env.sandbox));
  });
});
