import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../support/harness.js";

/**
 * Valid combinations of the shared filter language send exactly the expected MOCO requests: only
 * GET /deals (after the cached reference lists), one status per request (both open statuses for
 * "open" and for follow-ups), 100 per page, and MOCO's own filters as MOCO takes them; a dry run of
 * update_leads writes nothing.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    sandbox: { today: "2026-11-25" },
    config: { rateLimit: { limit: 1_000_000, windowMs: 120_000 } },
  });
  await h.call("get_lead_options"); // reference lists cached: what follows is the filters' own requests
});
afterAll(() => h.close());

const day = fc
  .date({ min: new Date("2025-01-01T00:00:00Z"), max: new Date("2027-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const range = fc.tuple(day, day).map(([a, b]) => (a <= b ? `${a}..${b}` : `${b}..${a}`));

const selection = fc.record(
  {
    status: fc.constantFrom("potential", "pending", "won", "lost", "dropped", "open"),
    user: fc.constantFrom("me", "Nicola", "nicola.keller@agentur-beispiel.ch", "Lea Brunner"),
    stage: fc.constantFrom("Kontaktieren", "Verhandlungen", "Angebot verschickt"),
    query: fc.constantFrom("relaunch", "beispiel ag", "mueller", "zürich"),
    currency: fc.constantFrom("CHF", "EUR", "USD"),
    money_min: fc.integer({ min: 0, max: 50_000 }),
    due: fc.constantFrom("overdue", "today", "this_week", "next_week", "this_month"),
    reminder: range,
    created: range,
    closed: range,
    service: range,
    updated_before: day,
    sort: fc.constantFrom("updated_at", "created_at", "reminder_date", "closed_on", "money", "name"),
    order: fc.constantFrom("asc", "desc"),
  },
  { requiredKeys: [] },
);

function expectedStatuses(args: { status?: string; due?: string }): string[] {
  if (args.status === "open" || (args.status === undefined && args.due !== undefined))
    return ["pending", "potential"];
  return args.status === undefined ? [""] : [args.status];
}

describe("valid filters", () => {
  it("list_leads and pipeline_summary send only GET /deals, one status per request, MOCO's filters as MOCO takes them", async () => {
    await fc.assert(
      fc.asyncProperty(selection, fc.constantFrom("list_leads", "pipeline_summary"), async (all, tool) => {
        // Only list_leads orders its rows.
        const { sort: _sort, order: _order, ...filters } = all;
        const args = tool === "list_leads" ? all : filters;
        const before = h.sandbox.requests.length;
        const r = await h.call(tool, args);
        expect(r.isError, text(r)).toBeFalsy();
        const sent = h.sandbox.requests.slice(before);
        expect(sent.length).toBeGreaterThan(0);
        for (const q of sent) expect(`${q.method} ${q.path}`).toBe("GET /deals");
        const queries = sent.map((q) => new URLSearchParams(q.query));
        const statuses = [...new Set(queries.map((q) => q.get("status") ?? ""))].sort();
        expect(statuses).toEqual(expectedStatuses(args).sort());
        for (const q of queries) {
          // Scans read 100 a page; a plain page asks for the caller's page size.
          if (tool === "pipeline_summary") expect(q.get("per_page")).toBe("100");
          expect(q.get("closed_from")).toBe(args.closed ? args.closed.slice(0, 10) : null);
          expect(q.get("closed_to")).toBe(args.closed ? args.closed.slice(12) : null);
          for (const local of [
            "user",
            "stage",
            "query",
            "currency",
            "due",
            "reminder",
            "created",
            "service",
          ]) {
            expect(q.has(local), local).toBe(false);
          }
        }
      }),
      { numRuns: 80 },
    );
  });

  it("an update_leads dry run with any valid filter writes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(selection, async ({ sort: _s, order: _o, ...filter }) => {
        const before = h.sandbox.requests.length;
        const r = await h.call("update_leads", {
          filter,
          changes: { reminder_date: "2027-02-01" },
          dry_run: true,
        });
        expect(r.isError, text(r)).toBeFalsy();
        const writes = h.sandbox.requests.slice(before).filter((q) => q.method !== "GET");
        expect(writes).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
