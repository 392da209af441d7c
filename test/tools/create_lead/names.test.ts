import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetReference } from "../../../src/moco/reference.js";
import { errorOf, type Harness, startHarness, text } from "../../support/harness.js";
import {
  baseLead,
  companyNamed,
  counting,
  requestsSince,
  sc,
  stageNamed,
  store,
  userNamed,
  writesSince,
} from "../../support/write-helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const lead = (extra: Record<string, unknown>) => ({
  name: "Names test",
  currency: "EUR",
  money: 1000,
  reminder_date: "2026-06-01",
  // Not about the duplicate check (create_lead refuses a lookalike of an open lead): skip it.
  allow_duplicate: true,
  ...extra,
});

describe("the headline: a correct lead from names only", () => {
  it('creates "Beispiel AG, 25k EUR, Nicola, stage Angebot erstellen" without knowing any id', async () => {
    forgetReference(h.moco); // a cold cache, whatever ran before
    const from = h.sandbox.requests.length;
    const args = {
      name: "Beispiel AG – Website-Relaunch",
      company: "Beispiel AG",
      money: 25_000,
      currency: "EUR",
      user: "Nicola Keller",
      deal_category: "Angebot erstellen",
      reminder_date: "2026-05-04",
    };
    const { result: refused, requests: looked } = await counting(h, () => h.call("create_lead", args));
    // The seed has an open "Website-Relaunch Beispiel AG": named, and nothing created.
    expect(errorOf(refused).fields.name).toEqual([
      expect.stringMatching(
        /^lead \d+ "Website-Relaunch Beispiel AG" \(pending, company "Beispiel AG", owner /,
      ),
    ]);
    // Cold cache: stages, profile + users, one company search, the company's open leads (pending,
    // potential) for the duplicate check, and no write.
    expect([...looked].sort()).toEqual(
      [
        "GET /deal_categories",
        "GET /profile",
        "GET /users",
        "GET /companies",
        "GET /deals",
        "GET /deals",
      ].sort(),
    );
    const { result: r, requests } = await counting(h, () =>
      h.call("create_lead", { ...args, allow_duplicate: true }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    const { lead: created, warnings } = sc(r);
    expect(warnings).toEqual([]);
    expect(created).toMatchObject({
      money: 25_000,
      currency: "EUR",
      status: "pending",
      company: { id: companyNamed(h, "Beispiel AG").id, name: "Beispiel AG" },
      user: { id: userNamed(h, "Nicola").id, firstname: "Nicola", lastname: "Keller" },
      category: { id: stageNamed(h, "Angebot erstellen").id, name: "Angebot erstellen", probability: 30 },
    });
    expect(requests.filter((r) => r !== "GET /profile").at(-1)).toBe("POST /deals");
    const body = h.sandbox.requests.slice(from).find((q) => q.method === "POST" && q.path === "/deals")?.body;
    expect(body).toMatchObject({ company_id: companyNamed(h, "Beispiel AG").id });
    expect(body).not.toHaveProperty("company");
  });

  it("costs only the uncached search and the write once the reference lists are cached", async () => {
    await h.call("get_lead_options");
    const { result: r, requests } = await counting(h, () =>
      h.call(
        "create_lead",
        lead({
          company: "Beispiel AG",
          user: "nicola.keller@agentur-beispiel.ch",
          deal_category: "Kontaktieren",
          allow_duplicate: false,
        }),
      ),
    );
    expect(r.isError, text(r)).toBeFalsy();
    expect(requests).toEqual(["GET /companies", "GET /deals", "GET /deals", "POST /deals"]);
  });

  it("sends one request for the lead with ids (the duplicate check skipped)", async () => {
    const { result: r, requests } = await counting(h, () =>
      h.call("create_lead", baseLead(h, { allow_duplicate: true })),
    );
    expect(r.isError, text(r)).toBeFalsy();
    // Besides, the history asks once in a while who the key's user is (GET /profile, cached).
    expect(requests.filter((r) => r !== "GET /profile")).toEqual(["POST /deals"]);
  });
});

describe("matching is exact up to case and accents", () => {
  it("finds a user by e-mail in any case, and me", async () => {
    const r = await h.call(
      "create_lead",
      lead({ user: "NICOLA.Keller@Agentur-Beispiel.ch", deal_category: "Kontaktieren" }),
    );
    expect(sc(r).lead.user.id).toBe(userNamed(h, "Nicola").id);
    const mine = await h.call("create_lead", lead({ user: "me", deal_category: "Kontaktieren" }));
    expect(sc(mine).lead.user.id).toBe(store(h).profileUserId);
  });

  it("ignores case and accents in stage, company and person names", async () => {
    const r = await h.call(
      "create_lead",
      lead({
        user: "  nicola   KELLER ",
        deal_category: "MUNDLICHE zusage",
        company: "MÜLLER & SÖHNE GMBH",
        person: "zoe hartmann",
      }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    const created = sc(r).lead;
    expect(created.category.name).toBe("Mündliche Zusage");
    expect(created.company.name).toBe("Müller & Söhne GmbH");
    expect(created.person.name).toBe("Zoë Hartmann");
    expect(created.user.lastname).toBe("Keller");
  });
});

describe("no match or several: an error with candidates, and nothing written", () => {
  it('lists "Beispiel AG" and "Beispiel GmbH" for "Beispiel"', async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call(
      "create_lead",
      lead({ company: "Beispiel", user: "me", deal_category: "Kontaktieren" }),
    );
    const error = errorOf(r);
    const ag = companyNamed(h, "Beispiel AG").id;
    const gmbh = companyNamed(h, "Beispiel GmbH").id;
    expect(text(r)).toContain(`Beispiel AG (id ${ag})`);
    expect(text(r)).toContain(`Beispiel GmbH (id ${gmbh})`);
    expect(text(r)).toMatch(/^Nothing was written\./);
    expect(error.fields.company).toEqual(
      expect.arrayContaining([`Beispiel AG (id ${ag})`, `Beispiel GmbH (id ${gmbh})`]),
    );
    expect(writesSince(h, from)).toEqual([]);
  });

  it("refuses two records with the same name, listing both ids", async () => {
    const original = companyNamed(h, "Beispiel GmbH");
    const twin = { ...original, id: 999_000_001 };
    store(h).companies.push(twin);
    try {
      const from = h.sandbox.requests.length;
      const r = await h.call(
        "create_lead",
        lead({ company: "beispiel gmbh", user: "me", deal_category: "Kontaktieren" }),
      );
      expect(text(r)).toMatch(/2 companies match "beispiel gmbh"/);
      expect(errorOf(r).fields.company).toEqual(
        expect.arrayContaining([`Beispiel GmbH (id ${original.id})`, "Beispiel GmbH (id 999000001)"]),
      );
      expect(text(r)).toMatch(/Pass company_id \(or the full name\) to choose one/);
      expect(writesSince(h, from)).toEqual([]);
    } finally {
      store(h).companies.splice(store(h).companies.indexOf(twin), 1);
    }
  });

  it("takes a unique first name with a warning, and refuses an ambiguous prefix with both candidates", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", lead({ user: "Nicola", deal_category: "Angebot" }));
    const error = errorOf(r);
    expect(error.fields.user).toBeUndefined(); // "Nicola" is one user's first name
    expect(error.fields.deal_category).toEqual([
      `Angebot erstellen (id ${stageNamed(h, "Angebot erstellen").id}, 30 %)`,
      `Angebot verschickt (id ${stageNamed(h, "Angebot verschickt").id}, 35 %)`,
    ]);
    expect(text(r)).toMatch(/deal_category: 2 pipeline stages match "Angebot"/);
    expect(writesSince(h, from)).toEqual([]);
    const ok = await h.call("create_lead", lead({ user: "Nicola", deal_category: "Angebot erstellen" }));
    expect(ok.isError, text(ok)).toBeFalsy();
    const nicola = userNamed(h, "Nicola");
    expect(sc(ok).lead.user.id).toBe(nicola.id);
    expect(sc(ok).warnings).toContainEqual(
      `user: "Nicola" matched user Nicola Keller (id ${nicola.id}) by first or last name; check it is the one meant`,
    );
  });

  it("reports every problem at once", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", lead({ user: "Zora", deal_category: "Angebot" }));
    const error = errorOf(r);
    expect(Object.keys(error.fields).sort()).toEqual(["deal_category", "user"]);
    expect(text(r)).toMatch(/user: no user is named "Zora"/);
    expect(writesSince(h, from)).toEqual([]);
  });

  it("lists every stage when nothing is close", async () => {
    const r = await h.call("create_lead", lead({ user: "me", deal_category: "Gewonnen" }));
    expect(errorOf(r).fields.deal_category).toHaveLength(store(h).categories.length);
  });

  it("says when MOCO's search finds nothing", async () => {
    const r = await h.call(
      "create_lead",
      lead({ user: "me", deal_category: "Kontaktieren", person: "Zzyzx Qwerty" }),
    );
    expect(text(r)).toMatch(
      /no contact person is named "Zzyzx Qwerty".*nothing similar.*get_lead_options with search/s,
    );
  });

  it("refuses an id and a name for the same record before any request", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call(
      "create_lead",
      lead({ user: "me", user_id: userNamed(h, "Anna").id, deal_category: "Kontaktieren" }),
    );
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/either user_id or user/);
    expect(requestsSince(h, from)).toEqual([]);
  });

  it("requires a user and a stage, by id or by name", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", lead({}));
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/give user_id or user/);
    expect(text(r)).toMatch(/give deal_category_id or deal_category/);
    expect(requestsSince(h, from)).toEqual([]);
  });
});

describe("update_lead with names", () => {
  it("resolves names, then reads and writes the lead", async () => {
    const target = store(h).deals.find((d) => d.status === "pending" && d.user_id !== store(h).profileUserId);
    if (!target) throw new Error("no pending lead");
    const before =
      stageNamed(h, "Verhandlungen").id === target.deal_category_id ? "Kontaktieren" : "Verhandlungen";
    await h.call("get_lead_options"); // warms the reference lists, whatever ran before
    const { result: r, requests } = await counting(h, () =>
      h.call("update_lead", { id: target.id, deal_category: before, user: "me" }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).lead.category.name).toBe(before);
    expect(sc(r).changes).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^stage: .* → ${before}`))]),
    );
    // Reference lists are cached: a GET of the lead and the PUT.
    expect(requests).toEqual([`GET /deals/${target.id}`, `PUT /deals/${target.id}`]);
  });

  it("sends nothing when a name does not resolve", async () => {
    const target = store(h).deals[0];
    if (!target) throw new Error("no lead");
    const from = h.sandbox.requests.length;
    const r = await h.call("update_lead", { id: target.id, company: "Beispiel" });
    expect(errorOf(r).fields.company).toHaveLength(2);
    expect(writesSince(h, from)).toEqual([]);
  });
});

describe("a key without the Staff permission (GET /users answers 403)", () => {
  let limited: Harness;
  beforeAll(async () => {
    limited = await startHarness({ sandbox: { staff: false } });
  });
  afterAll(() => limited.close());

  it("still resolves me, and explains why other users cannot be named", async () => {
    const mine = await limited.call("create_lead", lead({ user: "me", deal_category: "Kontaktieren" }));
    expect(mine.isError, text(mine)).toBeFalsy();
    const from = limited.sandbox.requests.length;
    const r = await limited.call(
      "create_lead",
      lead({ user: "Nicola Keller", deal_category: "Kontaktieren" }),
    );
    expect(text(r)).toMatch(/lacks the Staff permission/);
    expect(writesSince(limited, from)).toEqual([]);
    const anna = userNamed(limited, "Anna");
    const byName = await limited.call(
      "create_lead",
      lead({ user: "Anna Schmid", deal_category: "Kontaktieren" }),
    );
    expect(sc(byName).lead.user.id).toBe(anna.id);
  });
});
