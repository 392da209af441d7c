import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetReference } from "../../../src/moco/reference.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";

/**
 * An archived (inactive) user still owns her leads. Reads find them by her name or id and say she is
 * archived; writes never give a lead to her, and say why, whether she is named or given by id.
 */

let h: Harness;
let sophie: { id: number; name: string; email: string };
let hers: number[];
beforeAll(async () => {
  h = await startHarness();
  const u = h.sandbox.store.users.find((x) => !x.active);
  if (!u) throw new Error("the seed has no archived user");
  sophie = { id: u.id, name: `${u.firstname} ${u.lastname}`, email: u.email };
  hers = h.sandbox.store.deals.filter((d) => d.user_id === u.id).map((d) => d.id);
  expect(hers.length).toBeGreaterThan(0);
});
afterAll(() => h.close());

const leadIds = (r: Json) => (sc(r).leads as { id: number }[]).map((l) => l.id).sort((a, b) => a - b);
const writesSince = (from: number) => h.sandbox.requests.slice(from).filter((q) => q.method !== "GET");

describe("reads: an archived user's leads", () => {
  for (const [how, user] of [
    ["her full name", () => sophie.name],
    ["her first name", () => sophie.name.split(" ")[0] as string],
    ["her e-mail", () => sophie.email],
    ["her id", () => sophie.id],
  ] as const) {
    it(`list_leads finds all of them by ${how}, and says she is archived`, async () => {
      forgetReference(h.moco); // a cold cache, whatever ran before
      const r = await h.call("list_leads", { user: user(), per_page: 100 });
      expect(r.isError, text(r)).toBeFalsy();
      expect(leadIds(r)).toEqual([...hers].sort((a, b) => a - b));
      expect(text(r)).toContain(`user = ${sophie.name} (id ${sophie.id}, archived)`);
    });
  }

  it("asks MOCO for archived users too (include_archived=true)", async () => {
    forgetReference(h.moco);
    const from = h.sandbox.requests.length;
    await h.call("list_leads", { user: sophie.id, per_page: 1 });
    const asked = h.sandbox.requests.slice(from).filter((q) => q.path === "/users");
    expect(asked.map((q) => new URLSearchParams(q.query).get("include_archived"))).toEqual(["true"]);
  });

  it("labels her archived in a candidate list", async () => {
    const r = await h.call("list_leads", { user: "Dubois S." });
    expect(errorOf(r).fields.user).toContain(`${sophie.name} (id ${sophie.id}, archived, ${sophie.email})`);
  });

  it("update_leads selects her leads by her id, to hand them to an active colleague", async () => {
    const r = await h.call("update_leads", {
      filter: { user: sophie.id },
      changes: { user: "Lea Brunner" },
      dry_run: true,
    });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).counts.would_change).toBe(hers.length);
    expect(text(r)).toContain(`Selected: user = ${sophie.name} (id ${sophie.id}, archived)`);
  });
});

describe("writes: an archived user named is refused as archived", () => {
  const refusal = () => "is archived in MOCO; pick an active user";
  const newLead = (owner: Record<string, unknown>) => ({
    name: "For an archived user",
    currency: "CHF",
    money: 1,
    reminder_date: "2026-12-10",
    deal_category: "Kontaktieren",
    ...owner,
  });

  for (const [how, args, field] of [
    ["create_lead by name", () => newLead({ user: sophie.name }), "user"],
    ["update_lead by first name", () => ({ id: hers[0], user: "Sophie" }), "user"],
  ] as const) {
    it(`${how}: refused, saying she is archived; nothing is sent`, async () => {
      forgetReference(h.moco);
      const from = h.sandbox.requests.length;
      const tool = how.split(" ")[0] as string;
      const r = await h.call(tool, args());
      expect(errorOf(r).message).toBe(
        `Nothing was written. ${field}: ${sophie.name} (id ${sophie.id}) ${refusal()}`,
      );
      expect(writesSince(from)).toEqual([]);
    });
  }

  it("update_leads by user_id: refused as not active, even as a dry run", async () => {
    const r = await h.call("update_leads", {
      ids: [hers[0]],
      changes: { user_id: sophie.id },
      dry_run: true,
    });
    expect(errorOf(r).message).toBe(`Nothing was changed: user_id ${sophie.id} is not an active user`);
  });
});

describe("a write naming a first name several active users share", () => {
  it("says which active users match, not that an archived namesake is archived", async () => {
    const own = await startHarness();
    try {
      const template = own.sandbox.store.users.find((u) => u.active);
      if (!template) throw new Error("the seed has no active user");
      // Two active "Sophie"s beside the archived Sophie Dubois of the seed.
      for (const [id, lastname] of [
        [990_001, "Aktiv"],
        [990_002, "Auch"],
      ] as const) {
        own.sandbox.store.users.push({
          ...template,
          id,
          firstname: "Sophie",
          lastname,
          email: `${id}@x.test`,
        });
      }
      const from = own.sandbox.requests.length;
      const r = await own.call("create_lead", {
        name: "For a Sophie",
        currency: "CHF",
        money: 1,
        reminder_date: "2026-12-10",
        deal_category: "Kontaktieren",
        user: "Sophie",
      });
      const message = errorOf(r).message as string;
      expect(message).toMatch(/user: 2 users match "Sophie": Sophie Aktiv \(id 990001/);
      expect(message).not.toMatch(/archived/);
      expect(own.sandbox.requests.slice(from).filter((q) => q.method !== "GET")).toEqual([]);
    } finally {
      await own.close();
    }
  });
});
