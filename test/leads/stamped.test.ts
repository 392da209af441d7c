import { describe, expect, it } from "vitest";
import { stampedSince } from "../../src/leads/changes.js";
import { lead } from "../fixtures/moco.js";

/**
 * What MOCO's own timestamps say about a lead since a time, as a table: created (created_at), updated
 * after its creation (updated_at, the latest update only), closed (closed_on, a day, with the status).
 */
const OLD = "2026-11-01T10:00:00Z";
const at = (stamp: string, patch: Record<string, unknown> = {}) => ({
  created_at: OLD,
  updated_at: stamp,
  status: "pending",
  closed_on: null,
  ...patch,
});

const CASES: [name: string, patch: Record<string, unknown>, want: string[] | undefined][] = [
  ["untouched since", at(OLD), undefined],
  ["updated the day before since", at("2026-12-05T23:59:59Z"), undefined],
  ["updated at since", at("2026-12-06T00:00:00Z"), ["updated"]],
  [
    "created since (its creation is no update)",
    { created_at: "2026-12-06T08:00:00Z", updated_at: "2026-12-06T08:00:00Z" },
    ["created"],
  ],
  [
    "created, then updated",
    { created_at: "2026-12-06T08:00:00Z", updated_at: "2026-12-06T09:00:00Z" },
    ["created", "updated"],
  ],
  [
    "won on since's day",
    at("2026-12-06T08:00:00Z", { status: "won", closed_on: "2026-12-06" }),
    ["updated", "won"],
  ],
  [
    "lost on since's day, updated before it",
    at("2026-12-05T20:00:00Z", { status: "lost", closed_on: "2026-12-06" }),
    ["lost"],
  ],
  [
    "won earlier, updated since",
    at("2026-12-06T08:00:00Z", { status: "won", closed_on: "2026-10-01" }),
    ["updated"],
  ],
  [
    "closed_on on an open lead is no closing",
    at(OLD, { status: "pending", closed_on: "2026-12-06" }),
    undefined,
  ],
  ["after until", at("2026-12-08T08:00:00Z"), undefined],
];

const events = (patch: Record<string, unknown>) => {
  const { leads } = stampedSince([lead({ id: 1, ...patch })], {
    since: "2026-12-06",
    until: "2026-12-08",
    limit: 10,
  });
  const [s] = leads;
  return s && [s.created && "created", s.updated && "updated", s.closed].filter(Boolean);
};

describe("stampedSince", () => {
  it.each(CASES)("%s", (_, patch, want) => {
    expect(events(patch)).toEqual(want);
  });

  it("orders by the latest update, newest first, caps at limit and counts every event over all", () => {
    const leads = [
      lead({ id: 1, ...at("2026-12-06T08:00:00Z") }),
      lead({ id: 2, ...at("2026-12-06T10:00:00Z", { status: "won", closed_on: "2026-12-06" }) }),
      lead({ id: 3, ...at("2026-12-06T09:00:00Z") }),
      lead({ id: 4, ...at(OLD) }),
    ];
    const found = stampedSince(leads, { since: "2026-12-06", limit: 2 });
    expect(found.leads.map((s) => s.lead.id)).toEqual([2, 3]);
    expect(found.total).toBe(3);
    expect(Object.fromEntries(found.counts)).toEqual({ updated: 3, won: 1 });
  });

  it("compares at MOCO's resolution, whole seconds: a lead created 0.4 s after a since with milliseconds counts", () => {
    // MOCO keeps created_at/updated_at to the second: a lead created at 09:45:23.590 reads 09:45:23.
    const created = lead({ id: 5, created_at: "2026-12-07T09:45:23Z", updated_at: "2026-12-07T09:45:23Z" });
    const found = stampedSince([created], { since: "2026-12-07T09:45:23.133Z", limit: 10 });
    expect(found.leads.map((s) => s.lead.id)).toEqual([5]);
    const before = stampedSince([created], { since: "2026-12-07T09:45:24.001Z", limit: 10 });
    expect(before.total).toBe(0);
  });
});
