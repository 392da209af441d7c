import { afterEach, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * MOCO records no author of a change: a change record names the lead's owner as "owner", never as a
 * bare "user" that reads as the person who made it; a change a sync saw carries author null with
 * author_known false (webhooks would fill it later), our own write names the user of the key it was
 * made with, and the reply says once that MOCO does not record who made a change.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const fullName = (harness: Harness, id: number) => {
  const u = harness.sandbox.store.users.find((x) => x.id === id);
  return `${u?.firstname} ${u?.lastname}`;
};

describe("lead_changes on who made a change", () => {
  it("labels the lead's owner as owner, names the key's user for our own write, keeps a synced change's author unknown, and says once that MOCO records none", async () => {
    h = await startHarness({ mirror: { freshMs: 0 } });
    const first = await h.call("lead_changes", { since: "2000-01-01" });
    const since = sc(first).history_start as string;
    const store = h.sandbox.store;
    const deal = store.deals.find((d) => d.status === "pending") as DealRecord;
    const before = deal.user_id;
    const keyUser = store.users[0] as { id: number };
    const other = store.users.find((u) => u.id !== before && u.id !== keyUser.id && u.active) as {
      id: number;
    };
    const moved = store.updateDeal(deal, { user_id: other.id });
    if (!moved.ok) throw new Error(`sandbox refused: ${JSON.stringify(moved.body)}`);
    const created = await h.call("create_lead", {
      name: "Autor unbekannt",
      currency: "CHF",
      money: 500,
      reminder_date: "2031-01-15",
      user_id: other.id,
      deal_category_id: (store.categories[0] as { id: number }).id,
    });
    expect(created.isError, text(created)).toBeFalsy();
    const r = await h.call("lead_changes", { since });
    expect(r.isError, text(r)).toBeFalsy();
    const changes = sc(r).changes as Json[];
    expect(changes).toHaveLength(2);
    const update = changes.find((c) => c.kind === "updated");
    // Seen by a sync: MOCO names no author.
    expect(update).toMatchObject({ origin: "sync", author: null, author_known: false });
    expect(update?.changes).toEqual([`owner: ${fullName(h, before)} → ${fullName(h, other.id)}`]);
    const made = changes.find((c) => c.kind === "created");
    // Made through this server: the user of the key it wrote with (the sandbox key's, its first user),
    // not the lead's owner.
    expect(made).toMatchObject({
      origin: "own",
      author: `${fullName(h, keyUser.id)} (the user of the MOCO key this server wrote with)`,
      author_known: true,
    });
    expect(made?.lead).toContain(`owner ${fullName(h, other.id)}`);
    expect(made?.lead).not.toMatch(/\buser\b/);
    const summary = text(r).split("\n")[0] as string;
    expect(summary.split("MOCO does not record who made a change")).toHaveLength(2);
  });
});

describe("lead_changes on who made a change, when MOCO does not name the key's user", () => {
  it("records our writes with the author unknown, and asks MOCO's profile once, not once per lead", async () => {
    h = await startHarness({ mirror: { freshMs: 0 } });
    const since = sc(await h.call("lead_changes", { since: "2000-01-01" })).history_start as string;
    const store = h.sandbox.store;
    h.sandbox.faults.push({ kind: "status", status: 403, method: "GET", path: "/profile", times: 50 });
    const ids = store.deals
      .filter((d) => d.status === "pending")
      .slice(0, 3)
      .map((d) => d.id);
    const dry = await h.call("update_leads", {
      ids,
      changes: { reminder_date: "2032-02-02" },
      dry_run: true,
    });
    const profilesBefore = h.sandbox.requests.filter((r) => r.path === "/profile").length;
    const run = await h.call("update_leads", {
      ids,
      changes: { reminder_date: "2032-02-02" },
      confirm_token: sc(dry).confirm_token,
    });
    expect(run.isError, text(run)).toBeFalsy();
    const asked = h.sandbox.requests.filter((r) => r.path === "/profile").length - profilesBefore;
    // One lookup for the run, not one per lead (the writes go a few at a time).
    expect(asked).toBe(1);
    const changes = sc(await h.call("lead_changes", { since })).changes as Json[];
    const ours = changes.filter((c) => c.origin === "own");
    expect(ours).toHaveLength(3);
    for (const c of ours) expect(c).toMatchObject({ author: null, author_known: false });
  });
});
