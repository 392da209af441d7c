import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { similarNames } from "../../src/leads/duplicates.js";
import { type Harness, sc, startHarness, text } from "../support/harness.js";
import { baseLead, companyNamed, requestsSince } from "../support/write-helpers.js";

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

describe("create_lead warns of an open lead of the same company with a similar name", () => {
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

  it("names each open lookalike with id, name and status; not the won one; at 2 extra GETs before the POST", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call(
      "create_lead",
      baseLead(h, { name: "Quokka Portal Relaunch", company_id: company.id }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    const warnings = sc(r).warnings as string[];
    expect(warnings).toContain(
      `possible duplicate: lead ${existing.pending} "Nordlicht – Quokka Portal Relaunch" (pending) of the same company`,
    );
    expect(warnings).toContain(
      `possible duplicate: lead ${existing.potential} "Quokka Portal Relaunch (Phase 2)" (potential) of the same company`,
    );
    expect(warnings.join(" ")).not.toContain(`lead ${existing.won} `);
    expect(text(r)).toContain("WARNINGS: possible duplicate: lead");
    const requests = requestsSince(h, from);
    expect(requests).toEqual(["GET /deals", "GET /deals", "POST /deals"]);
    const queries = h.sandbox.requests
      .slice(from)
      .filter((q) => q.method === "GET")
      .map((q) => new URLSearchParams(q.query));
    expect(queries.map((q) => q.get("company_id"))).toEqual([String(company.id), String(company.id)]);
    expect(queries.map((q) => q.get("status")).sort()).toEqual(["pending", "potential"]);
  });

  it("warns nothing for a name unlike the company's open leads", async () => {
    const r = await h.call(
      "create_lead",
      baseLead(h, { name: "Zebra Datenbank Wartung", company_id: company.id }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    expect((sc(r).warnings as string[]).filter((w) => w.startsWith("possible duplicate"))).toEqual([]);
  });

  it("costs no extra request without a company", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", baseLead(h, { name: "Quokka Portal Relaunch" }));
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).warnings).toEqual([]);
    expect(requestsSince(h, from)).toEqual(["POST /deals"]);
  });

  it("checks the company given by name too, once its id is known", async () => {
    const r = await h.call(
      "create_lead",
      baseLead(h, { name: "Quokka Portal Relaunch", company: "Nordlicht Software GmbH" }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    const named = (sc(r).warnings as string[]).join(" | ");
    // Other tests of this file may have added lookalikes of their own; the two seeded ones are always there.
    expect(named).toContain(`possible duplicate: lead ${existing.pending} `);
    expect(named).toContain(`possible duplicate: lead ${existing.potential} `);
  });

  it("never blocks the create: a failed check becomes a warning", async () => {
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
      baseLead(h, { name: "Quokka Portal Relaunch", company_id: company.id }),
    );
    expect(r.isError, text(r)).toBeFalsy();
    expect(h.sandbox.store.deals.length).toBe(before + 1);
    expect((sc(r).warnings as string[]).some((w) => w.startsWith("could not check for duplicates"))).toBe(
      true,
    );
    // What the check left of the 500s must not hit a later test.
    h.sandbox.faults.length = 0;
  });
});
