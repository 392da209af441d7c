import { describe, expect, it } from "vitest";
import {
  comparator,
  dueInDays,
  dueWindow,
  predicate,
  pushedPredicate,
  type Selection,
  type Sort,
  whereMatched,
} from "../../src/leads/find.js";
import type { Lead } from "../../src/moco/schemas.js";
import { lead } from "../fixtures/moco.js";

/**
 * The selection rules of find.ts as tables, on leads built in memory: the local predicate (what MOCO
 * cannot filter), MOCO's own filters as applied to the mirror, the due windows and the sort.
 */
type Refs = Parameters<typeof predicate>[1];
type Row = [name: string, args: Selection, refs: Refs, patch: Record<string, unknown>, keeps: boolean];

// Timestamps at noon UTC: the created filter counts local days, and noon is the same day in every zone
// within ±11 hours.
const base = {
  status: "pending",
  money: 5000,
  currency: "CHF",
  reminder_date: "2026-03-10",
  created_at: "2026-02-10T12:00:00Z",
  updated_at: "2026-02-20T12:00:00Z",
};

const PREDICATE: Row[] = [
  ["user id matches", {}, { userId: 10 }, {}, true],
  ["user id differs", {}, { userId: 11 }, {}, false],
  ["a lead without user never matches a user", {}, { userId: 10 }, { user: null }, false],
  ["stage id matches", {}, { stageId: 30 }, {}, true],
  ["stage id differs", {}, { stageId: 31 }, {}, false],
  ["currency matches exactly", { currency: "CHF" }, {}, {}, true],
  ["currency differs", { currency: "EUR" }, {}, {}, false],
  ["money_min is inclusive", { money_min: 5000 }, {}, {}, true],
  ["money below money_min", { money_min: 5000.01 }, {}, {}, false],
  ["money_max is inclusive", { money_max: 5000 }, {}, {}, true],
  ["money above money_max", { money_max: 4999 }, {}, {}, false],
  ["reminder inside the range", { reminder: { from: "2026-03-01", to: "2026-03-31" } }, {}, {}, true],
  ["reminder after an open-ended range", { reminder: { from: "2026-03-11", to: undefined } }, {}, {}, false],
  [
    "no reminder is outside any range",
    { reminder: { from: undefined, to: "2026-12-31" } },
    {},
    { reminder_date: null },
    false,
  ],
  ["due window keeps an open lead in it", {}, { window: { from: "2026-03-09", to: "2026-03-15" } }, {}, true],
  [
    "due window skips a won lead in it",
    {},
    { window: { from: "2026-03-09", to: "2026-03-15" } },
    { status: "won" },
    false,
  ],
  [
    "due window skips a potential lead outside it",
    {},
    { window: { to: "2026-03-09" } },
    { status: "potential" },
    false,
  ],
  ["created on the day asked", { created: { from: "2026-02-10", to: "2026-02-10" } }, {}, {}, true],
  ["created the day before the range", { created: { from: "2026-02-11", to: undefined } }, {}, {}, false],
  ["updated_before keeps a lead unchanged since", { updated_before: "2026-02-21" }, {}, {}, true],
  ["updated_before drops a lead changed after", { updated_before: "2026-02-20T11:00:00Z" }, {}, {}, false],
  [
    "service period overlapping the range",
    { service: { from: "2026-04-01", to: "2026-04-30" } },
    {},
    { service_period_from: "2026-03-01", service_period_to: "2026-05-31" },
    true,
  ],
  [
    "service period ending before the range",
    { service: { from: "2026-06-01", to: undefined } },
    {},
    { service_period_from: "2026-03-01", service_period_to: "2026-05-31" },
    false,
  ],
  ["no service period never overlaps", { service: { from: "2026-01-01", to: "2026-12-31" } }, {}, {}, false],
  ["query word begins a word of the company", { query: "beisp" }, {}, {}, true],
  ["query 'ag' finds 'Beispiel AG'", { query: "ag" }, {}, {}, true],
  [
    "query 'ag' does not find 'Rahmenvertrag'",
    { query: "ag" },
    {},
    { name: "Rahmenvertrag", company: null },
    false,
  ],
  ["query 'mueller' finds 'Müller' (ü = ue)", { query: "mueller" }, {}, { name: "Website Müller" }, true],
  ["every query word must match", { query: "beispiel relaunch" }, {}, {}, false],
  ["query words found in info", { query: "offerte" }, {}, { info: "Offerte gesendet" }, true],
];

describe("predicate: the filters applied to what MOCO sends", () => {
  it("has rows", () => expect(PREDICATE.length).toBeGreaterThan(0));
  for (const [name, args, refs, patch, keeps] of PREDICATE) {
    it(`${name}: ${keeps ? "kept" : "left out"}`, () => {
      expect(predicate(args, refs)(lead({ ...base, ...patch }))).toBe(keeps);
    });
  }
});

const PUSHED: [name: string, args: Selection, patch: Record<string, unknown>, keeps: boolean][] = [
  ["no filter keeps every lead", {}, {}, true],
  ["status open keeps pending", { status: "open" }, {}, true],
  ["status open keeps potential", { status: "open" }, { status: "potential" }, true],
  ["status open drops won", { status: "open" }, { status: "won" }, false],
  ["due without status means open: drops lost", { due: "overdue" }, { status: "lost" }, false],
  ["status won drops pending", { status: "won" }, {}, false],
  ["tags match whatever their case", { tags: ["wichtig"] }, { tags: ["Wichtig"] }, true],
  ["any of the tags is enough", { tags: ["x", "Relaunch"] }, { tags: ["Relaunch"] }, true],
  ["no tag asked is carried", { tags: ["x"] }, { tags: ["Wichtig"] }, false],
  ["company_id matches", { company_id: 20 }, {}, true],
  ["company_id differs", { company_id: 21 }, {}, false],
  [
    "closed inside the range",
    { closed: { from: "2026-01-01", to: "2026-01-31" } },
    { closed_on: "2026-01-31" },
    true,
  ],
  ["not closed is outside a closed range", { closed: { from: "2026-01-01", to: undefined } }, {}, false],
  ["ids keep a listed lead", { ids: [1, 2] }, {}, true],
  ["ids drop another", { ids: [2] }, {}, false],
  ["updated_after is strict", { updated_after: "2026-02-20T12:00:00Z" }, {}, false],
  ["updated_after keeps a later change", { updated_after: "2026-02-20" }, {}, true],
  [
    "custom text matches exactly",
    { custom_properties: { Quelle: "Website" } },
    { custom_properties: { Quelle: "Website" } },
    true,
  ],
  [
    "custom text differs",
    { custom_properties: { Quelle: "Messe" } },
    { custom_properties: { Quelle: "Website" } },
    false,
  ],
  [
    'custom yes matches MOCO\'s "1"',
    { custom_properties: { Rahmen: true } },
    { custom_properties: { Rahmen: "1" } },
    true,
  ],
  [
    'custom no does not match "1"',
    { custom_properties: { Rahmen: false } },
    { custom_properties: { Rahmen: "1" } },
    false,
  ],
  [
    "custom list: every item present",
    { custom_properties: { Kanal: ["A", "B"] } },
    { custom_properties: { Kanal: ["B", "A", "C"] } },
    true,
  ],
  [
    "custom list: an item missing",
    { custom_properties: { Kanal: ["A", "D"] } },
    { custom_properties: { Kanal: ["A"] } },
    false,
  ],
];

describe("pushedPredicate: MOCO's own filters, applied to the mirror", () => {
  it("has rows", () => expect(PUSHED.length).toBeGreaterThan(0));
  for (const [name, args, patch, keeps] of PUSHED) {
    it(`${name}: ${keeps ? "kept" : "left out"}`, () => {
      expect(pushedPredicate(args)(lead({ ...base, ...patch }))).toBe(keeps);
    });
  }
});

describe("dueWindow and dueInDays, counted from today (Wednesday 2026-03-04)", () => {
  const today = "2026-03-04";
  const WINDOWS: [NonNullable<Selection["due"]>, { from?: string; to?: string }][] = [
    ["overdue", { to: "2026-03-03" }],
    ["today", { from: "2026-03-04", to: "2026-03-04" }],
    ["this_week", { from: "2026-03-02", to: "2026-03-08" }],
    ["next_week", { from: "2026-03-09", to: "2026-03-15" }],
    ["this_month", { from: "2026-03-01", to: "2026-03-31" }],
  ];
  for (const [due, window] of WINDOWS) {
    it(`due ${due} is ${window.from ?? "…"} to ${window.to ?? "…"}`, () => {
      expect(dueWindow(due, today)).toEqual(window);
    });
  }
  const DAYS: [string, Record<string, unknown>, number | undefined][] = [
    ["an open lead due in 6 days", { reminder_date: "2026-03-10" }, 6],
    ["an open lead 3 days overdue", { reminder_date: "2026-03-01", status: "potential" }, -3],
    ["an open lead due today", { reminder_date: today }, 0],
    ["a won lead has no due days", { reminder_date: "2026-03-10", status: "won" }, undefined],
    ["an open lead without reminder has none", { reminder_date: null }, undefined],
  ];
  for (const [name, patch, days] of DAYS) {
    it(`${name}: ${days}`, () => expect(dueInDays(lead({ ...base, ...patch }), today)).toBe(days));
  }
});

describe("comparator: the sort, missing values last, ties by id", () => {
  const leads: Lead[] = [
    lead({ id: 1, name: "beta", money: 300, reminder_date: null, updated_at: "2026-01-03T00:00:00Z" }),
    lead({
      id: 2,
      name: "Alpha",
      money: 100,
      reminder_date: "2026-05-01",
      updated_at: "2026-01-01T00:00:00Z",
    }),
    lead({
      id: 3,
      name: "Ärger",
      money: 300,
      reminder_date: "2026-04-01",
      updated_at: "2026-01-02T00:00:00Z",
    }),
    lead({ id: 4, name: "alpha", money: 200, reminder_date: null, updated_at: "2026-01-04T00:00:00Z" }),
  ];
  const SORTS: [name: string, sort: Sort, order: "asc" | "desc" | undefined, ids: number[]][] = [
    ["money defaults to descending, ties by id", "money", undefined, [1, 3, 4, 2]],
    ["money ascending", "money", "asc", [2, 4, 1, 3]],
    ["reminder_date defaults to ascending, missing last", "reminder_date", undefined, [3, 2, 1, 4]],
    ["reminder_date descending keeps missing last", "reminder_date", "desc", [2, 3, 1, 4]],
    ["name ascending, case and accents folded, ties by id", "name", undefined, [2, 4, 3, 1]],
    ["updated_at defaults to newest first", "updated_at", undefined, [4, 1, 3, 2]],
  ];
  for (const [name, sort, order, ids] of SORTS) {
    it(`${name}: ${ids.join(", ")}`, () => {
      expect([...leads].sort(comparator(sort, order)).map((l) => l.id)).toEqual(ids);
    });
  }
});

describe("whereMatched: where a query's words stand when not all in the name", () => {
  const one = lead({
    id: 7,
    name: "Website-Relaunch",
    info: "Angebot v2 verschickt",
    person: { id: 40, name: "Jürgen Müller" },
  });
  const WHERE: [query: string, where: string | undefined][] = [
    ["website", undefined],
    ["website relaunch", undefined],
    ["website v2", "name, description"],
    ["v2", "description"],
    ["beispiel", "company"],
    ["mueller", "person"],
    ["website beispiel v2", "name, company, description"],
  ];
  for (const [query, where] of WHERE) {
    it(`${query} → ${where ?? "(the name: no marker)"}`, () => {
      expect(whereMatched([one], query).get(7)).toBe(where);
    });
  }
});
