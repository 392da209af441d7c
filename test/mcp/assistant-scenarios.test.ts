import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays, weekOf } from "../../src/leads/dates.js";
import type { DealRecord } from "../../src/sandbox/index.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../support/harness.js";

/**
 * Everyday requests as a model makes them, from tools/list alone: each scenario counts the calls it
 * needs and checks the answer against the sandbox's own records (computed without the server's code).
 */
const TODAY = "2026-11-25"; // a Wednesday
let h: Harness;
let calls = 0;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: TODAY } });
});
afterAll(() => h.close());

async function call(name: string, args: Record<string, unknown>) {
  calls++;
  return h.call(name, args);
}
async function ok(name: string, args: Record<string, unknown>): Promise<Json> {
  const r = await call(name, args);
  expect(r.isError, text(r)).toBeFalsy();
  return sc(r);
}
const deals = () => h.sandbox.store.deals;
const open = (d: DealRecord) => d.status === "pending" || d.status === "potential";
const ids = (data: Json) => (data.leads as { id: number }[]).map((l) => l.id).sort((a, b) => a - b);
const sorted = (ds: DealRecord[]) => ds.map((d) => d.id).sort((a, b) => a - b);
const userId = (first: string) => h.sandbox.store.users.find((u) => u.firstname === first)?.id as number;
const dealsRequests = (from: number) =>
  h.sandbox.requests.slice(from).filter((r) => r.path.startsWith("/deals"));

describe("assistant scenarios", () => {
  it('"Which of my leads are due this week?" — 1 call with user "me"', async () => {
    calls = 0;
    const data = await ok("list_leads", { user: "me", due: "this_week", per_page: 100 });
    const { monday, sunday } = weekOf(TODAY);
    const me = h.sandbox.store.profileUserId;
    const expected = deals().filter(
      (d) => open(d) && d.user_id === me && d.reminder_date >= monday && d.reminder_date <= sunday,
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(data)).toEqual(sorted(expected));
    expect(calls).toBe(1);
  });

  it('"Reassign all of Nicola\'s overdue leads to Lea" — dry run, run, check: 3 calls', async () => {
    calls = 0;
    const nicola = userId("Nicola");
    const lea = userId("Lea");
    const overdue = deals().filter((d) => open(d) && d.user_id === nicola && d.reminder_date < TODAY);
    expect(overdue.length).toBeGreaterThan(0);
    const selection = { filter: { user: "Nicola", due: "overdue" }, changes: { user: "Lea" } };
    const preview = await ok("update_leads", { ...selection, dry_run: true });
    expect(preview.written).toBe(false);
    expect((preview.leads as { id: number }[]).map((l) => l.id).sort((a, b) => a - b)).toEqual(
      sorted(overdue),
    );
    // The token applies exactly the previewed leads, passed as ids.
    const ids = (preview.leads as { id: number }[]).map((l) => l.id);
    const run = await ok("update_leads", {
      ids,
      changes: selection.changes,
      confirm_token: preview.confirm_token,
    });
    expect(run.written).toBe(true);
    for (const d of overdue) expect(h.sandbox.store.deals.find((x) => x.id === d.id)?.user_id).toBe(lea);
    const check = await ok("list_leads", { user: "Nicola", due: "overdue" });
    expect(check.leads).toEqual([]);
    expect(calls).toBeLessThanOrEqual(3);
  });

  it('"Which leads were created in the last 30 days?" — 1 call', async () => {
    calls = 0;
    const from = addDays(TODAY, -30);
    const data = await ok("list_leads", { created: `${from}..`, per_page: 100 });
    const localDay = (ts: string) => {
      const d = new Date(ts);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    };
    const expected = deals().filter((d) => localDay(d.created_at) >= from);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(deals().length);
    expect(ids(data)).toEqual(sorted(expected));
    expect(calls).toBe(1);
  });

  it('"Who has the most overdue leads?" — 1 call', async () => {
    calls = 0;
    const data = await ok("pipeline_summary", { due: "overdue", group_by: "user" });
    const counts = new Map<string, number>();
    for (const d of deals().filter((x) => open(x) && x.reminder_date !== "" && x.reminder_date < TODAY)) {
      const u = h.sandbox.store.users.find((x) => x.id === d.user_id);
      const name = u ? `${u.firstname} ${u.lastname}` : "(no user)";
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const got = new Map<string, number>();
    for (const c of data.currencies as { groups: { key: string; count: number }[] }[]) {
      for (const g of c.groups) got.set(g.key, (got.get(g.key) ?? 0) + g.count);
    }
    expect(got).toEqual(counts);
    const top = [...counts].sort((a, b) => b[1] - a[1])[0];
    expect(top?.[1]).toBeGreaterThan(0);
    expect(calls).toBe(1);
  });

  it.each([
    ["list_leads", { user: "Nobody Here" }, "user", /no user is named "Nobody Here"/],
    ["list_leads", { stage: "Angebot" }, "stage", /2 pipeline stages match "Angebot"/],
    ["list_leads", { stage: "Foo" }, "stage", /no pipeline stage is named "Foo"/],
    ["pipeline_summary", { user: "Nobody Here" }, "user", /no user is named/],
    ["pipeline_summary", { stage: "Angebot" }, "stage", /2 pipeline stages match/],
    [
      "update_leads",
      { filter: { stage: "Angebot" }, changes: { reminder_date: "2027-01-04" }, dry_run: true },
      "stage",
      /2 pipeline stages match/,
    ],
  ] as const)("%s %j: isError with candidates, and no /deals request", async (tool, args, field, message) => {
    const from = h.sandbox.requests.length;
    const r = await h.call(tool, args);
    const error = errorOf(r);
    expect(error.kind).toBe("invalid_input");
    expect(text(r)).toMatch(message);
    expect(Object.keys(error.fields)).toContain(field);
    expect(dealsRequests(from)).toEqual([]);
  });
});
