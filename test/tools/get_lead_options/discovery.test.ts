import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetReference } from "../../../src/moco/reference.js";
import { type Harness, startHarness, text } from "../../support/harness.js";
import { counting, sc, store, userNamed } from "../../support/write-helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("get_lead_options", () => {
  it("returns stages with probabilities, users and me, deal tags and custom fields in one call", async () => {
    forgetReference(h.moco); // a cold cache, whatever ran before
    const { result: r, requests } = await counting(h, () => h.call("get_lead_options"));
    expect(r.isError, text(r)).toBeFalsy();
    const data = sc(r);
    expect(data.stages).toContainEqual({
      id: expect.any(Number),
      name: "Angebot erstellen",
      probability: 30,
    });
    expect(data.stages).toHaveLength(store(h).categories.length);
    const nicola = userNamed(h, "Nicola");
    expect(data.users).toContainEqual({ id: nicola.id, name: "Nicola Keller", email: nicola.email });
    expect(data.me).toMatchObject({ id: store(h).profileUserId, name: "Anna Schmid" });
    expect(data.users_complete).toBe(true);
    expect(data.tags).toEqual(expect.arrayContaining(["Wichtig", "Relaunch"]));
    expect(data.custom_properties).toContainEqual({
      name: "Quelle",
      kind: "Select",
      options: ["Empfehlung", "Website", "Messe", "Kaltakquise", "Partner"],
    });
    // Only the lead (Deal) fields, not the company ones.
    expect(data.custom_properties.map((p: { name: string }) => p.name)).not.toContain("Branche");
    expect([...requests].sort()).toEqual([
      "GET /account/custom_properties",
      "GET /deal_categories",
      "GET /profile",
      "GET /tags",
      "GET /users",
    ]);
    expect(text(r)).toMatch(/^5 stages, \d+ users \(you: Anna Schmid\), \d+ tags, 6 custom fields\./);
  });

  it("answers from its 5-minute cache the second time", async () => {
    const first = await h.call("get_lead_options");
    expect(first.isError).toBeFalsy();
    const { result, requests } = await counting(h, () => h.call("get_lead_options"));
    expect(result.isError).toBeFalsy();
    expect(requests).toEqual([]);
  });
});

describe("get_lead_options with search", () => {
  it("finds companies and people by part of a name", async () => {
    const { result: r, requests } = await counting(h, () =>
      h.call("get_lead_options", { search: "Beispiel" }),
    );
    const data = sc(r);
    expect(data.companies.map((c: { name: string }) => c.name)).toEqual(["Beispiel AG", "Beispiel GmbH"]);
    expect(data.people).toContainEqual({
      id: expect.any(Number),
      name: "Max Muster",
      company: "Beispiel AG",
    });
    expect(requests.sort()).toEqual(["GET /companies", "GET /contacts/people"]);
    // Only the search: the reference lists are not repeated.
    expect(Object.keys(data).sort()).toEqual(["companies", "people"]);
  });

  it("refuses a one-letter term before asking MOCO", async () => {
    const r = await h.call("get_lead_options", { search: "B" });
    expect(r.isError).toBe(true);
  });
});

describe("a key without the Staff permission", () => {
  it("lists only the key's own user and says why", async () => {
    const limited = await startHarness({ sandbox: { staff: false } });
    try {
      const r = await limited.call("get_lead_options");
      expect(r.isError, text(r)).toBeFalsy();
      const data = sc(r);
      expect(data.users_complete).toBe(false);
      expect(data.users).toEqual([data.me]);
      expect(data.me.name).toBe("Anna Schmid");
      expect(text(r)).toMatch(/lacks the Staff permission.*only you are listed/);
      expect(limited.sandbox.requests.find((q) => q.path === "/users")?.status).toBe(403);
    } finally {
      await limited.close();
    }
  });
});

describe("an account with more users and tags than the reference lists read (5 pages of 100)", () => {
  it("says the lists are cut, and checks nothing it did not read", async () => {
    const big = await startHarness();
    try {
      const s = big.sandbox.store;
      const template = s.users[0];
      if (!template) throw new Error("no user in the seed");
      const at = "2026-01-01T00:00:00Z";
      for (let i = 1; i <= 520; i++) {
        const name = `Bulk ${String(i).padStart(3, "0")}`;
        s.tags.push({ id: 10_000 + i, name, color: null, context: "Deal", created_at: at, updated_at: at });
        s.users.push({
          ...template,
          id: 20_000 + i,
          firstname: "Bulk",
          lastname: String(i),
          email: `bulk${i}@x.test`,
        });
      }
      const r = await big.call("get_lead_options");
      expect(r.isError, text(r)).toBeFalsy();
      expect(sc(r).users_complete).toBe(false);
      expect(sc(r).tags).toHaveLength(500);
      expect(text(r)).toMatch(/Only the first \d+ users are listed.*Only the first 500 tags are listed/);
      expect(text(r)).not.toMatch(/Staff permission/);

      // A name beyond the list read: no "does not exist", but "could not check".
      const who = await big.call("create_lead", {
        name: "X",
        currency: "EUR",
        money: 1,
        reminder_date: "2026-06-01",
        user: "Nobody Known",
        deal_category: "Kontaktieren",
      });
      expect(who.isError).toBe(true);
      expect(text(who)).toMatch(/Could not check every user: MOCO's user list is longer than the \d+ read/);

      // "Bulk 520" exists in MOCO but lies beyond the tags read: not reported as newly created.
      const tagged = await big.call("create_lead", {
        name: "X",
        currency: "EUR",
        money: 1,
        reminder_date: "2026-06-01",
        user: "me",
        deal_category: "Kontaktieren",
        tags: ["Bulk 520"],
      });
      expect(tagged.isError, text(tagged)).toBeFalsy();
      expect(sc(tagged).warnings).toEqual([
        'tags: could not check whether ["Bulk 520"] existed before: the account\'s tag list is incomplete (500 read)',
      ]);
    } finally {
      await big.close();
    }
  });
});
