import { afterEach, describe, expect, it } from "vitest";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/** Tools on a fresh store: nothing synced yet, as on the very first call of a new install. */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("lead_changes before the mirror's first sync", () => {
  it("leads with where the history begins, before the count, when since lies before it (own writes before the first sync included)", async () => {
    h = await startHarness({ mirror: true });
    const today = new Date().toISOString().slice(0, 10);
    const created = await h.call("create_lead", {
      name: "Erster Lead",
      currency: "EUR",
      money: 25000,
      reminder_date: "2031-12-15",
      user: "me",
      deal_category: "Kontaktieren",
    });
    expect(created.isError, text(created)).toBeFalsy();
    const id = (sc(created).lead as Json).id as number;
    const updated = await h.call("update_lead", { id, status: "won" });
    expect(updated.isError, text(updated)).toBeFalsy();
    const r = await h.call("lead_changes", { since: today });
    expect(r.isError, text(r)).toBeFalsy();
    const data = sc(r);
    expect(data.before_history).toBe(true);
    const summary = text(r).split("\n")[0] as string;
    expect(summary.startsWith(`History begins ${data.history_start}`)).toBe(true);
    expect(summary).toContain("including writes made before then");
    expect(summary.indexOf("History begins")).toBeLessThan(summary.indexOf(" changes on "));
  });
});

describe("add_lead_note", () => {
  it("refuses a text of invisible characters only, before anything reaches MOCO", async () => {
    h = await startHarness();
    const lead = h.sandbox.store.deals[0];
    const from = h.sandbox.requests.length;
    const r = await h.call("add_lead_note", { id: lead?.id, text: "\u200B\u200B" });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("only invisible characters");
    expect(h.sandbox.requests.slice(from)).toEqual([]);
  });
});

describe("get_lead with notes", () => {
  it("says 1 note, not 1 notes", async () => {
    h = await startHarness();
    const store = h.sandbox.store;
    const noted = new Set(store.comments.map((c) => c.commentable_id));
    const lead = store.deals.find((d) => !noted.has(d.id));
    if (!lead) throw new Error("a lead without notes expected");
    const added = await h.call("add_lead_note", { id: lead.id, text: "Angerufen" });
    expect(added.isError, text(added)).toBeFalsy();
    const r = await h.call("get_lead", { id: lead.id, include_notes: true });
    expect(text(r).split("\n")[0]).toMatch(/ 1 note\.$/);
  });
});
