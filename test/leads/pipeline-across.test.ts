import { describe, expect, it } from "vitest";
import { askedGroups, groupRest, type SummaryOptions, summarize } from "../../src/leads/pipeline.js";
import type { Lead } from "../../src/moco/schemas.js";
import { lead } from "../fixtures/moco.js";

/**
 * Counts over all currencies (money never: it stays per currency), groups the filter asked for, and
 * what the groups a reply leaves out add up to, as tables on leads built in memory.
 */
const ANGEBOT = { id: 2, name: "Angebot", probability: 50 };
const ZUSAGE = { id: 3, name: "Zusage", probability: 90 };
const user = (id: number, firstname: string) => ({ id, firstname, lastname: "Test" });
const NICOLA = user(1, "Nicola");
const ANNA = user(2, "Anna");

const plain: SummaryOptions = { monthBasis: "reminder_date", top: 0 };

/** Anna leads in CHF (12), Nicola over all currencies (10 CHF + 5 EUR = 15). */
const OWNERS: Lead[] = [
  ...Array.from({ length: 12 }, (_, i) =>
    lead({ id: 100 + i, status: "pending", money: 1000, currency: "CHF", user: ANNA, category: ANGEBOT }),
  ),
  ...Array.from({ length: 10 }, (_, i) =>
    lead({ id: 200 + i, status: "pending", money: 10, currency: "CHF", user: NICOLA, category: ZUSAGE }),
  ),
  ...Array.from({ length: 5 }, (_, i) =>
    lead({ id: 300 + i, status: i === 0 ? "won" : "pending", money: 10, currency: "EUR", user: NICOLA }),
  ),
];

type Summary = ReturnType<typeof summarize>;
const TABLE: [
  name: string,
  leads: Lead[],
  options: SummaryOptions,
  pick: (s: Summary) => unknown,
  want: unknown,
][] = [
  [
    "the lead count over all currencies, with each currency's part",
    OWNERS,
    plain,
    (s) => [s.all_currencies.count, s.all_currencies.by_currency],
    [27, { CHF: 22, EUR: 5 }],
  ],
  [
    "status counts over all currencies, in pipeline order",
    OWNERS,
    plain,
    (s) => s.all_currencies.by_status,
    {
      pending: { count: 26, by_currency: { CHF: 22, EUR: 4 } },
      won: { count: 1, by_currency: { EUR: 1 } },
    },
  ],
  [
    "pending stage counts over all currencies, in pipeline order",
    OWNERS,
    plain,
    (s) => s.all_currencies.by_stage?.map((st) => [st.stage, st.count, st.by_currency]),
    [
      ["Kontaktieren", 4, { EUR: 4 }],
      ["Angebot", 12, { CHF: 12 }],
      ["Zusage", 10, { CHF: 10 }],
    ],
  ],
  [
    "owners ranked by their count over all currencies, not by one currency's",
    OWNERS,
    { ...plain, groupBy: "user" },
    (s) => s.all_currencies.groups?.map((g) => [g.key, g.count, g.by_currency]),
    [
      ["Nicola Test", 15, { CHF: 10, EUR: 5 }],
      ["Anna Test", 12, { CHF: 12 }],
    ],
  ],
  [
    "the counts carry no money: nothing there adds CHF to EUR",
    OWNERS,
    { ...plain, groupBy: "user" },
    (s) => JSON.stringify(s.all_currencies).match(/total|weighted|money/g),
    null,
  ],
  [
    "without group_by, no groups over all currencies either",
    OWNERS,
    plain,
    (s) => s.all_currencies.groups,
    undefined,
  ],
];

describe("summarize: counts over all currencies", () => {
  for (const [name, leads, options, pick, want] of TABLE) {
    it(name, () => {
      expect(pick(summarize(leads, options))).toEqual(want);
    });
  }
});

/** 30 companies, one lead each; "Firma 30" is the smallest. */
const COMPANIES = Array.from({ length: 30 }, (_, i) =>
  lead({ id: i + 1, money: 1000 - i, company: { id: i + 1, name: `Firma ${i + 1}`, type: "customer" } }),
);

describe("summarize: a group the filter asked for is never folded into '(n others)'", () => {
  const asked = (key: string) => key === "Firma 30";
  it("keeps the asked group in the currency's groups, beside the largest and one '(n others)' entry", () => {
    const groups = summarize(COMPANIES, { ...plain, groupBy: "company", asked }).currencies[0]?.groups ?? [];
    expect(groups).toHaveLength(25);
    expect(groups.map((g) => g.key)).toContain("Firma 30");
    expect(groups.at(-1)).toMatchObject({ key: "(6 others)", count: 6 });
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(30);
  });

  it("keeps it in the groups over all currencies too", () => {
    const groups = summarize(COMPANIES, { ...plain, groupBy: "company", asked }).all_currencies.groups ?? [];
    expect(groups.map((g) => g.key)).toContain("Firma 30");
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(30);
  });

  const ASKED: [
    name: string,
    selection: Parameters<typeof askedGroups>[0],
    by: SummaryOptions["groupBy"],
    keys: string[],
    want: boolean[],
  ][] = [
    ["user filter, grouped by user: the owner's group", { user: "Anna" }, "user", ["Anna Test"], [true]],
    ["stage filter, grouped by stage", { stage: 3 }, "stage", ["Zusage"], [true]],
    ["company filter, grouped by company", { company_id: 20 }, "company", ["Beispiel AG"], [true]],
    [
      "tags, grouped by tag: the asked tags, ignoring case",
      { tags: ["wichtig"] },
      "tag",
      ["Wichtig", "Neu"],
      [true, false],
    ],
    ["user filter, grouped by tag: no tag is asked for", { user: "Anna" }, "tag", ["Wichtig"], [false]],
  ];
  for (const [name, selection, by, keys, want] of ASKED) {
    it(`askedGroups: ${name}`, () => {
      const asked = askedGroups(selection, by);
      expect(keys.map((k) => asked?.(k) ?? false)).toEqual(want);
    });
  }
});

describe("groupRest: what the groups a reply leaves out add up to", () => {
  it("adds up the groups not named, in the currency's money", () => {
    const groups =
      summarize(OWNERS, { ...plain, groupBy: "user" }).currencies.find((c) => c.currency === "CHF")?.groups ??
      [];
    // Anna's 12 × 1000 at 50 % are named; Nicola's 10 × 10 at 90 % are not.
    expect(groupRest(groups, new Set(["Anna Test"]))).toEqual({
      groups: 1,
      count: 10,
      total: 100,
      weighted: 90,
    });
  });

  it("counts a lead in several left-out tags once", () => {
    const tagged = [
      lead({ id: 1, money: 500, tags: ["A"] }),
      lead({ id: 2, money: 300, tags: ["B", "C"] }),
      lead({ id: 3, money: 200, tags: ["C"] }),
    ];
    const groups = summarize(tagged, { ...plain, groupBy: "tag" }).currencies[0]?.groups ?? [];
    expect(groupRest(groups, new Set(["A"]))).toMatchObject({ groups: 2, count: 2, total: 500 });
  });

  it("adds a spread value's shares in the left-out months", () => {
    const spread = [
      lead({ id: 1, money: 300, service_period_from: "2026-01-01", service_period_to: "2026-03-31" }),
      lead({ id: 2, money: 50, service_period_from: "2026-03-01", service_period_to: "2026-03-31" }),
    ];
    const options: SummaryOptions = { ...plain, groupBy: "month", monthBasis: "service_period" };
    const groups = summarize(spread, options).currencies[0]?.groups ?? [];
    expect(groupRest(groups, new Set(["2026-01"]))).toMatchObject({ groups: 2, count: 2, total: 250 });
  });

  it("over all currencies: counts only, never a sum of money", () => {
    const groups = summarize(OWNERS, { ...plain, groupBy: "user" }).all_currencies.groups ?? [];
    expect(groupRest(groups, new Set(["Anna Test"]))).toEqual({ groups: 1, count: 15 });
  });
});
