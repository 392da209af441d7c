import { describe, expect, it } from "vitest";
import { groupCount, type SummaryOptions, summarize } from "../../src/leads/pipeline.js";
import type { Lead } from "../../src/moco/schemas.js";
import { lead } from "../fixtures/moco.js";

/**
 * The pipeline arithmetic as tables, on leads built in memory: totals and weighted value per currency
 * (never summed across), by status and stage, groups, month windows and the largest pending leads.
 */
const stage = (id: number, name: string, probability: number) => ({ id, name, probability });
const KONTAKT = stage(1, "Kontaktieren", 10);
const ANGEBOT = stage(2, "Angebot", 50);
const ZUSAGE = stage(3, "Zusage", 90);

const plain: SummaryOptions = { monthBasis: "reminder_date", top: 0 };

const ACCOUNT: Lead[] = [
  lead({ id: 1, status: "pending", money: 1000, currency: "CHF", category: ANGEBOT, tags: ["A"] }),
  lead({ id: 2, status: "pending", money: 3000, currency: "CHF", category: ZUSAGE, tags: ["A", "B"] }),
  lead({ id: 3, status: "potential", money: 500, currency: "CHF", category: ZUSAGE, tags: [] }),
  lead({ id: 4, status: "won", money: 2000, currency: "CHF", category: ZUSAGE }),
  lead({ id: 5, status: "pending", money: 400, currency: "EUR", category: KONTAKT }),
];

type Summary = ReturnType<typeof summarize>;
const chf = (s: Summary) => s.currencies.find((c) => c.currency === "CHF");
const eur = (s: Summary) => s.currencies.find((c) => c.currency === "EUR");

const TOTALS: [
  name: string,
  leads: Lead[],
  options: SummaryOptions,
  pick: (s: Summary) => unknown,
  want: unknown,
][] = [
  [
    "one summary per currency, most leads first",
    ACCOUNT,
    plain,
    (s) => s.currencies.map((c) => c.currency),
    ["CHF", "EUR"],
  ],
  ["CHF count and total over every status", ACCOUNT, plain, (s) => [chf(s)?.count, chf(s)?.total], [4, 6500]],
  // 1000 × 50 % + 3000 × 90 %; the potential and the won lead weigh nothing.
  ["weighted counts pending leads only", ACCOUNT, plain, (s) => chf(s)?.weighted, 3200],
  ["EUR is never added to CHF", ACCOUNT, plain, (s) => [eur(s)?.total, eur(s)?.weighted], [400, 40]],
  [
    "by_status in pipeline order with counts and totals",
    ACCOUNT,
    plain,
    (s) => chf(s)?.by_status,
    {
      potential: { count: 1, total: 500 },
      pending: { count: 2, total: 4000 },
      won: { count: 1, total: 2000 },
    },
  ],
  [
    "by_stage holds pending leads only, by probability",
    ACCOUNT,
    plain,
    (s) => chf(s)?.by_stage?.map((b) => [b.stage, b.count, b.total, b.weighted]),
    [
      ["Angebot", 1, 1000, 500],
      ["Zusage", 1, 3000, 2700],
    ],
  ],
  [
    "a status outside MOCO's five keeps its own key, after them",
    [...ACCOUNT, lead({ id: 6, status: "parked", money: 50, currency: "CHF" })],
    plain,
    (s) => Object.keys(chf(s)?.by_status ?? {}),
    ["potential", "pending", "won", "parked"],
  ],
  ["nothing selected, no currency", [], plain, (s) => s.currencies, []],
  [
    "totals are rounded to cents",
    [lead({ money: 0.125, category: ANGEBOT })],
    plain,
    (s) => s.currencies[0]?.weighted,
    0.06,
  ],
];

describe("summarize: totals and weighted value per currency", () => {
  it("has rows", () => expect(TOTALS.length).toBeGreaterThan(0));
  for (const [name, leads, options, pick, want] of TOTALS) {
    it(name, () => expect(pick(summarize(leads, options))).toEqual(want));
  }
});

const GROUPS: [name: string, options: SummaryOptions, want: [string, number, number][]][] = [
  [
    "by tag: a lead counts in each of its tags, untagged together",
    { ...plain, groupBy: "tag" },
    [
      ["A", 2, 4000],
      ["B", 1, 3000],
      ["(no tag)", 2, 2500],
    ],
  ],
  [
    "by stage: largest total first",
    { ...plain, groupBy: "stage" },
    [
      ["Zusage", 3, 5500],
      ["Angebot", 1, 1000],
    ],
  ],
  [
    "by user: every lead has the fixture's owner",
    { ...plain, groupBy: "user" },
    [["Nicola Keller", 4, 6500]],
  ],
];

describe("summarize: groups", () => {
  it("has rows", () => expect(GROUPS.length).toBeGreaterThan(0));
  for (const [name, options, want] of GROUPS) {
    it(name, () => {
      const groups = chf(summarize(ACCOUNT, options))?.groups ?? [];
      expect(groups.map((g) => [g.key, g.count, g.total])).toEqual(want);
    });
  }

  it("more than 25 groups: the largest 24 and one '(n others)' entry, which groupCount counts one by one", () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      lead({ id: i + 1, money: 1000 - i, company: { id: i + 1, name: `Firma ${i + 1}`, type: "customer" } }),
    );
    const groups = summarize(many, { ...plain, groupBy: "company" }).currencies[0]?.groups ?? [];
    expect(groups).toHaveLength(25);
    expect(groups.at(-1)).toMatchObject({
      key: "(6 others)",
      count: 6,
      total: 6 * 1000 - (24 + 25 + 26 + 27 + 28 + 29),
    });
    expect(groupCount(groups)).toBe(30);
  });
});

describe("summarize: month windows", () => {
  const dated = [
    lead({ id: 1, money: 1200, category: ANGEBOT, reminder_date: "2026-03-15" }),
    lead({ id: 2, money: 800, category: ANGEBOT, reminder_date: "2026-05-02" }),
    lead({ id: 3, money: 100, category: ANGEBOT, reminder_date: null }),
    lead({
      id: 4,
      money: 900,
      category: ANGEBOT,
      reminder_date: null,
      service_period_from: "2026-03-01",
      service_period_to: "2026-05-31",
    }),
  ];
  const WINDOWS: [name: string, options: SummaryOptions, pick: (s: Summary) => unknown, want: unknown][] = [
    [
      "reminder_date window keeps leads dated inside it, counts the undated",
      { ...plain, from: "2026-03", to: "2026-04" },
      (s) => [s.currencies[0]?.count, s.currencies[0]?.total, s.undated],
      [1, 1200, 2],
    ],
    [
      "by month without a window: months in order, the undated as '(no date)'",
      { ...plain, groupBy: "month" },
      (s) => s.currencies[0]?.groups?.map((g) => [g.key, g.total]),
      [
        ["(no date)", 1000],
        ["2026-03", 1200],
        ["2026-05", 800],
      ],
    ],
    [
      "service_period spreads a value evenly over its months; the window takes its share",
      { ...plain, monthBasis: "service_period", from: "2026-04", to: "2026-04" },
      (s) => [s.currencies[0]?.count, s.currencies[0]?.total, s.currencies[0]?.weighted],
      [1, 300, 150],
    ],
    [
      "top_pending with a window: ordered by the value inside it, with that part",
      { ...plain, monthBasis: "service_period", from: "2026-03", to: "2026-04", top: 5 },
      (s) => s.currencies[0]?.top_pending?.map((t) => [t.lead.id, t.inWindow]),
      [[4, 600]],
    ],
  ];
  for (const [name, options, pick, want] of WINDOWS) {
    it(name, () => expect(pick(summarize(dated, options))).toEqual(want));
  }

  it("top_pending without a window: the largest pending leads, at most `top`, no in-window part", () => {
    const top = chf(summarize(ACCOUNT, { ...plain, top: 1 }))?.top_pending;
    expect(top?.map((t) => [t.lead.id, t.inWindow])).toEqual([[2, undefined]]);
  });
});
