import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { similarNames } from "../../../src/leads/duplicates.js";
import { errorOf, type Harness, sc, startHarness, text } from "../../support/harness.js";
import { baseLead, companyNamed, requestsSince } from "../../support/write-helpers.js";

describe("similarNames: the rule, as a table", () => {
  // [new name, existing name, company name, similar?]
  const table: [string, string, string, boolean][] = [
    ["Beispiel AG – Relaunch", "beispiel ag  – RELAUNCH", "Beispiel AG", true], // case, spaces
    ["Café Zürich – Relaunch", "Cafe Zurich – Relaunch", "Café Zürich AG", true], // accents
    ["Beispiel AG – Relaunch", "Beispiel AG – Website-Relaunch", "Beispiel AG", true], // one in the other
    ["Website Relaunch 2026", "Relaunch der Website", "", true], // a filler word aside, one in the other
    ["Intranet Migration Phase", "Intranet Migration Wartung", "", true], // Jaccard 2/4 = 0.5
    ["Intranet Migration Phase Zwei", "Intranet Wartung Vertrag Neu", "", false], // Jaccard 1/7
    ["Beispiel AG – Relaunch", "Beispiel AG – Wartung", "Beispiel AG", false], // only the company shared
    ["Beispiel AG", "Beispiel AG", "Beispiel AG", true], // both nothing but the company
    ["Beispiel AG", "Beispiel AG – Relaunch", "Beispiel AG", false],
    ["SEO/SEA", "SEO und SEA", "", true],
    ["AB", "ab", "", true], // no word of 3+ letters: equal after folding
    ["AB", "CD", "", false],
  ];
  expect(table.length).toBeGreaterThan(0);
  for (const [a, b, company, similar] of table) {
    it(`${JSON.stringify(a)} vs ${JSON.stringify(b)} (company ${JSON.stringify(company)}) → ${similar}`, () => {
      expect(similarNames(a, b, company)).toBe(similar);
      expect(similarNames(b, a, company)).toBe(similar);
    });
  }
});

describe("create_lead looks for an open lead of the same company with a similar name before creating", () => {
  let h: Harness;
  let company: { id: number; name: string };
  const existing: Record<string, number> = {};
  beforeAll(async () => {
    h = await startHarness();
    company = companyNamed(h, "Nordlicht Software GmbH");
    // Leads behind the server's back, with words no seeded lead uses.
    for (const [key, name, status] of [
      ["pending", "Nordlicht – Quokka Portal Relaunch", "pending"],
      ["potential", "Quokka Portal Relaunch (Phase 2)", "potential"],
      ["won", "Quokka Portal Relaunch", "won"],
    ] as const) {
      const made = h.sandbox.store.createDeal({ ...baseLead(h, { name }), company_id: company.id, status });
      if (!made.ok) throw new Error(`could not seed ${name}`);
      existing[key] = made.value.id;
    }
  });
  afterAll(() => h.close());

  const owner = () => {
    const u = h.sandbox.store.users.find((x) => x.firstname === "Nicola");
    return `${u?.firstname} ${u?.lastname}`;
  };

  it("creates nothing where one exists: names each open lookalike (id, name, company, status, owner), not the won one; 2 GETs, no POST", async () => {
    const from = h.sandbox.requests.length;
    const before = h.sandbox.store.deals.length;
    const r = await h.call(
      "create_lead",
      baseLead(h, { name: "Quokka Portal Relaunch", company_id: company.id }),
    );
    const error = errorOf(r);
    expect(h.sandbox.store.deals.length).toBe(before);
    expect(text(r)).toMatch(
      /^Nothing was created: company \d+ already has \d+ open leads with a name like "Quokka Portal Relaunch": lead /,
    );
    // Other tests of this file may have added lookalikes of their own (allow_duplicate); the seeded two are there.
    expect(error.fields.name).toEqual(
      expect.arrayContaining([
        `lead ${existing.pending} "Nordlicht – Quokka Portal Relaunch" (pending, company "${company.name}", owner "${owner()}")`,
        `lead ${existing.potential} "Quokka Portal Relaunch (Phase 2)" (potential, company "${company.name}", owner "${owner()}")`,
      ]),
    );
    expect(text(r)).not.toContain(`lead ${existing.won} `);
    expect(text(r)).toContain("update_lead");
    expect(text(r)).toContain("allow_duplicate: true");
    expect(requestsSince(h, from)).toEqual(["GET /deals", "GET /deals"]);
    const queries = h.sandbox.requests.slice(from).map((q) => new URLSearchParams(q.query));
    expect(queries.map((q) => q.get("company_id"))).toEqual([String(company.id), String(company.id)]);
    expect(queries.map((q) => q.get("status")).sort()).toEqual(["pending", "potential"]);
  });

  it("allow_duplicate: true creates it anyway, without the check's requests", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call(
      "create_lead",
      baseLead(h, { name: "Quokka Portal Relaunch", company_id: company.id, allow_duplicate: true }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).lead.name).toBe("Quokka Portal Relaunch");
    // Besides, the history asks once in a while who the key's user is (GET /profile, cached).
    expect(requestsSince(h, from).filter((r) => r !== "GET /profile")).toEqual(["POST /deals"]);
    const posted = h.sandbox.requests.filter((q) => q.method === "POST").at(-1);
    expect(posted?.path).toBe("/deals");
    expect(posted?.body).not.toHaveProperty("allow_duplicate");
  });

  it("creates a name unlike the company's open leads, at 2 GETs before the POST", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call(
      "create_lead",
      baseLead(h, { name: "Zebra Datenbank Wartung", company_id: company.id }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).warnings).toEqual([]);
    expect(requestsSince(h, from)).toEqual(["GET /deals", "GET /deals", "POST /deals"]);
  });

  it("without a company, compares with open leads without a company only, not with the company's", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", baseLead(h, { name: "Quokka Portal Relaunch" }));
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).warnings).toEqual([]);
    const sent = h.sandbox.requests.slice(from);
    expect(
      requestsSince(h, from)
        .filter((r) => r !== "GET /profile")
        .at(-1),
    ).toBe("POST /deals");
    // Every open lead read (no company filter), both open statuses.
    const reads = sent.filter((q) => q.method === "GET").map((q) => new URLSearchParams(q.query));
    expect(reads.every((q) => q.get("company_id") === null)).toBe(true);
    expect(new Set(reads.map((q) => q.get("status")))).toEqual(new Set(["pending", "potential"]));
  });

  it("checks the company given by name too, once its id is known", async () => {
    const before = h.sandbox.store.deals.length;
    const r = await h.call(
      "create_lead",
      baseLead(h, { name: "Quokka Portal Relaunch", company: "Nordlicht Software GmbH" }),
    );
    const named = errorOf(r).fields.name.join(" | ");
    // Other tests of this file may have added lookalikes of their own; the two seeded ones are always there.
    expect(named).toContain(`lead ${existing.pending} `);
    expect(named).toContain(`lead ${existing.potential} `);
    expect(h.sandbox.store.deals.length).toBe(before);
  });

  it("a failed check creates nothing and says so, with the way on", async () => {
    h.sandbox.faults.push({
      kind: "status",
      status: 500,
      method: "GET",
      path: "/deals",
      query: `company_id=${company.id}`,
      // More than the check's reads and their one retry of a 500 each: every one of them fails.
      times: 10,
    });
    const before = h.sandbox.store.deals.length;
    const r = await h.call(
      "create_lead",
      baseLead(h, { name: "Ganz Neues Vorhaben", company_id: company.id }),
    );
    expect(errorOf(r).kind).toBe("invalid_input");
    expect(text(r)).toMatch(
      /^Nothing was created: the check for an open lead of company \d+ with a similar name failed/,
    );
    expect(text(r)).toContain("allow_duplicate: true");
    expect(h.sandbox.store.deals.length).toBe(before);
    // What the check left of the 500s must not hit a later test.
    h.sandbox.faults.length = 0;
  });
});

describe("create_lead's check when it cannot read every open lead of the company", () => {
  let h: Harness;
  let company: { id: number; name: string };
  beforeAll(async () => {
    h = await startHarness();
    company = companyNamed(h, "Nordlicht Software GmbH");
    // More pending leads than one page of the check holds; none like the names below.
    for (let i = 0; i < 101; i++) {
      const made = h.sandbox.store.createDeal({
        ...baseLead(h, { name: `Wartungsvertrag Los ${i}` }),
        company_id: company.id,
        status: "pending",
      });
      if (!made.ok) throw new Error("could not seed");
    }
  });
  afterAll(() => h.close());

  it("creates nothing and says how many open leads were checked, not that there is no duplicate", async () => {
    const before = h.sandbox.store.deals.length;
    const from = h.sandbox.requests.length;
    const r = await h.call(
      "create_lead",
      baseLead(h, { name: "Yak Analytics Pilot", company_id: company.id }),
    );
    expect(errorOf(r).kind).toBe("invalid_input");
    expect(text(r)).toMatch(
      /^Nothing was created: no lead with a similar name was found, but the check is incomplete\. Only \d+ of \d+ open leads of the company were checked/,
    );
    expect(text(r)).toContain("allow_duplicate: true");
    expect(h.sandbox.store.deals.length).toBe(before);
    expect(requestsSince(h, from)).toEqual(["GET /deals", "GET /deals"]);
  });
});
