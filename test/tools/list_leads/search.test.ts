import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, startHarness, TEST_KEY, text } from "../../support/harness.js";
import { type Data, plain, sc, stageOf, userNameOf } from "../../support/sandbox-raw.js";

const TODAY = "2026-11-25";
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: TODAY } });
});
afterAll(() => h.close());

const deals = () => h.sandbox.store.deals;
const ids = (data: Data) => data.leads.map((l: { id: number }) => l.id);
const byId = (a: DealRecord, b: DealRecord) => a.id - b.id;

async function list(args: Record<string, unknown>) {
  const r = await h.call("list_leads", args);
  expect(r.isError, text(r)).toBeFalsy();
  return { data: sc(r), text: text(r) };
}

describe("follow-ups (list_leads due)", () => {
  const open = (d: DealRecord) => d.status === "pending" || d.status === "potential";
  const reminding = (from: string, to: string) =>
    deals()
      .filter((d) => open(d) && d.reminder_date !== "" && d.reminder_date >= from && d.reminder_date <= to)
      .sort((a, b) => a.reminder_date.localeCompare(b.reminder_date) || a.id - b.id);
  const days = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

  it("lists overdue open leads only, oldest reminder first, with negative due_in_days", async () => {
    const { data, text } = await list({ due: "overdue", per_page: 100 });
    const expected = reminding("0000-01-01", "2026-11-24");
    expect(expected.length).toBeGreaterThan(0);
    expect(data.total).toBe(expected.length);
    expect(ids(data)).toEqual(expected.slice(0, 100).map((d) => d.id));
    for (const [i, lead] of data.leads.entries()) {
      expect(lead.due_in_days).toBe(days(TODAY, expected[i]?.reminder_date ?? ""));
      expect(lead.due_in_days).toBeLessThan(0);
    }
    expect(text).toContain(`${expected.length} overdue, 0 due today, 0 later`);
    expect(text).toContain(`due overdue = … to 2026-11-24 (today ${TODAY})`);
  });

  it("lists today's follow-ups apart from the overdue ones", async () => {
    const { data } = await list({ due: "today", per_page: 100 });
    const expected = reminding(TODAY, TODAY);
    expect(expected.length).toBeGreaterThan(0); // the seed has leads due today
    expect(ids(data)).toEqual(expected.map((d) => d.id));
    for (const lead of data.leads) expect(lead.due_in_days).toBe(0);
  });

  it("takes this week as Monday to Sunday of today's week, and says so", async () => {
    // 2026-11-25 is a Wednesday: the week runs 2026-11-23 to 2026-11-29.
    const { data, text } = await list({ due: "this_week", per_page: 100 });
    expect(ids(data)).toEqual(reminding("2026-11-23", "2026-11-29").map((d) => d.id));
    expect(text).toContain("due this_week = 2026-11-23 to 2026-11-29 (today 2026-11-25)");
    const next = await list({ due: "next_week", per_page: 100 });
    expect(ids(next.data)).toEqual(reminding("2026-11-30", "2026-12-06").map((d) => d.id));
  });

  it("narrows to one user by name (case and accents aside), first name, e-mail or id", async () => {
    const store = h.sandbox.store;
    const nicola = store.users.find((u) => u.firstname === "Nicola");
    const expected = reminding("0000-01-01", "2026-11-24").filter((d) => d.user_id === nicola?.id);
    expect(expected.length).toBeGreaterThan(0);
    for (const user of ["nicola", "Keller", "Nicola Keller", nicola?.email, nicola?.id]) {
      const { data, text } = await list({ due: "overdue", user, per_page: 100 });
      expect(ids(data), String(user)).toEqual(expected.map((d) => d.id));
      expect(text).toContain(`user = Nicola Keller (id ${nicola?.id})`);
    }
    for (const d of expected) expect(userNameOf(store, d)).toBe("Nicola Keller");
  });

  it("scans only open leads: one status per MOCO request, 100 per page", async () => {
    const before = h.sandbox.requests.length;
    await list({ due: "overdue" });
    const sent = h.sandbox.requests
      .slice(before)
      .filter((r) => r.path === "/deals")
      .map((r) => new URLSearchParams(r.query));
    const statuses = sent.map((q) => q.get("status"));
    expect(new Set(statuses)).toEqual(new Set(["pending", "potential"]));
    for (const q of sent) expect(q.get("per_page")).toBe("100");
    const pending = deals().filter((d) => d.status === "pending").length;
    const potential = deals().filter((d) => d.status === "potential").length;
    expect(sent).toHaveLength(Math.ceil(pending / 100) + Math.ceil(potential / 100));
  });
});

describe("search (list_leads with filters MOCO lacks)", () => {
  it("finds text in name, company, person or info, ignoring case and accents", async () => {
    const { data } = await list({ query: "CAFE zurich", per_page: 100 });
    const store = h.sandbox.store;
    const haystack = (d: DealRecord) => {
      const company = store.companies.find((c) => c.id === d.company_id)?.name ?? "";
      const p = store.people.find((x) => x.id === d.person_id);
      return plain([d.name, company, p ? `${p.firstname} ${p.lastname}` : "", d.info].join(" "));
    };
    const expected = deals().filter((d) => haystack(d).includes("cafe") && haystack(d).includes("zurich"));
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(data)).toEqual(expected.sort(byId).map((d) => d.id));
  });

  it("answers “Nicola's pending leads above 20k in CHF”: status to MOCO, the rest here", async () => {
    const before = h.sandbox.requests.length;
    const { data, text } = await list({
      status: "pending",
      user: "Nicola",
      money_min: 20_000,
      currency: "CHF",
      per_page: 100,
    });
    const sent = h.sandbox.requests.slice(before).filter((r) => r.path === "/deals");
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) {
      const q = new URLSearchParams(r.query);
      expect(q.get("status")).toBe("pending");
      expect(q.has("user")).toBe(false);
    }
    const store = h.sandbox.store;
    const expected = deals().filter(
      (d) =>
        d.status === "pending" &&
        userNameOf(store, d) === "Nicola Keller" &&
        d.money >= 20_000 &&
        d.currency === "CHF",
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(data)).toEqual(expected.sort(byId).map((d) => d.id));
    const pending = deals().filter((d) => d.status === "pending").length;
    expect(data).toMatchObject({ scanned: pending, complete: true, total: expected.length });
    expect(text).toMatch(
      new RegExp(`Complete: ${pending} leads read from MOCO \\(\\d+ requests\\), ${expected.length} match`),
    );
  });

  it("filters by stage name, value range and reminder window, sorted by value", async () => {
    const ambiguous = await h.call("list_leads", { stage: "angebot" }); // both "Angebot …" stages
    expect(ambiguous.isError).toBe(true);
    expect(text(ambiguous)).toMatch(
      /stage: 2 pipeline stages match "angebot": Angebot erstellen \(id \d+, 30 %\), Angebot verschickt/,
    );
    const { data } = await list({
      stage: "Angebot verschickt",
      money_max: 50_000,
      reminder: "2026-11-01..2026-12-31",
      sort: "money",
      per_page: 100,
    });
    const store = h.sandbox.store;
    const expected = deals()
      .filter(
        (d) =>
          stageOf(store, d).name === "Angebot verschickt" &&
          d.money <= 50_000 &&
          d.reminder_date >= "2026-11-01" &&
          d.reminder_date <= "2026-12-31",
      )
      .sort((a, b) => b.money - a.money || a.id - b.id);
    expect(expected.length).toBeGreaterThan(1);
    expect(ids(data)).toEqual(expected.map((d) => d.id));
    // A date-dependent answer says which day it counted from, and the week around it.
    const dated = await list({ reminder: "2026-11-01..2026-12-31", stage: "Angebot verschickt" });
    expect(dated.text).toContain("Today is 2026-11-25 (this week: 2026-11-23 to 2026-11-29)");
    const exact = await list({ stage: "Angebot verschickt", per_page: 100 });
    for (const l of exact.data.leads) expect(l.stage).toBe("Angebot verschickt");
  });

  it("shows what changed since a time, newest first, with updated_at", async () => {
    const store = h.sandbox.store;
    const since = new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const touched = deals()
      .filter((d) => d.status === "pending")
      .slice(0, 3);
    for (const d of touched) expect(store.updateDeal(d, { info: `touched ${d.id}` }).ok).toBe(true);
    const { data } = await list({ updated_after: since, sort: "updated_at" });
    const expected = deals()
      .filter((d) => Date.parse(d.updated_at) > Date.parse(since))
      .sort((a, b) => b.updated_at.localeCompare(a.updated_at) || a.id - b.id);
    expect(ids(data)).toEqual(expected.map((d) => d.id));
    expect(ids(data).slice(0, 3)).toEqual(touched.map((d) => d.id).reverse());
    expect(data.leads[0].updated_at).toBe(expected[0]?.updated_at);
  });

  it("pages through the matches with page and per_page", async () => {
    const all = await list({ status: "won", sort: "money", per_page: 100 });
    const second = await list({ status: "won", sort: "money", per_page: 10, page: 2 });
    expect(ids(second.data)).toEqual(ids(all.data).slice(10, 20));
    expect(second.data).toMatchObject({ page: 2, per_page: 10, total: all.data.total, next_page: 3 });
    const last = Math.ceil(all.data.total / 10);
    expect(
      (await list({ status: "won", sort: "money", per_page: 10, page: last })).data.next_page,
    ).toBeNull();
  });

  it("keeps MOCO's filters alone to one request per page, as before", async () => {
    const before = h.sandbox.requests.length;
    const { data } = await list({ status: "won", per_page: 5, page: 2 });
    expect(h.sandbox.requests.length - before).toBe(1);
    expect(data).not.toHaveProperty("scanned");
  });
});

describe("reply size", () => {
  it("keeps every lead of a page: full leads come 25 per page at most and fit the cap", async () => {
    const refused = await h.call("list_leads", { full: true, per_page: 26 });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/full leads come at most 25 per page.* at per_page$/m);
    const { data } = await list({ full: true, per_page: 25 });
    expect(data.leads).toHaveLength(25);
    expect(Buffer.byteLength(JSON.stringify(data.leads))).toBeLessThanOrEqual(30_000);
  });

  it("clips long texts rather than dropping a lead, and says so", async () => {
    const own = await startHarness({ sandbox: { today: TODAY } }); // its names are changed below
    try {
      const long = "Sehr langer Name ".repeat(40);
      const won = own.sandbox.store.deals.filter((d) => d.status === "won").slice(0, 100);
      for (const d of won) expect(own.sandbox.store.updateDeal(d, { name: long }).ok).toBe(true);
      const r = await own.call("list_leads", { status: "won", per_page: 100 });
      expect(r.isError, text(r)).toBeFalsy();
      const data = sc(r);
      expect(ids(data)).toEqual(won.map((d) => d.id).sort((a, b) => a - b));
      expect(Buffer.byteLength(JSON.stringify(data.leads))).toBeLessThanOrEqual(30_000);
      expect(text(r)).toMatch(/Texts were clipped to \d+ characters .* \(every lead is here\)/);
    } finally {
      await own.close();
    }
  });

  it("fits 100 compact leads in one reply", async () => {
    const { data } = await list({ per_page: 100 });
    expect(data.leads).toHaveLength(100);
    expect(data).not.toHaveProperty("omitted");
  });

  it("measures a 25-lead page: compact vs MOCO's raw JSON", async () => {
    const raw = await request(`${h.sandbox.url}/deals?per_page=25&page=1`, {
      headers: { authorization: `Token token=${TEST_KEY}` },
    });
    const rawText = await raw.body.text();
    const rawLeads = JSON.parse(rawText) as { id: number }[];
    const { data } = await list({ per_page: 25 });
    const full = await list({ per_page: 25, full: true });
    expect(ids(data)).toEqual(rawLeads.map((l) => l.id));
    const compactBytes = Buffer.byteLength(JSON.stringify(data.leads));
    const fullBytes = Buffer.byteLength(JSON.stringify(full.data.leads));
    const rawBytes = Buffer.byteLength(rawText);
    console.log(
      `25 leads: MOCO raw ${rawBytes} B, full (normalised) ${fullBytes} B, compact ${compactBytes} B = ${Math.round((100 * compactBytes) / rawBytes)} % of raw`,
    );
    expect(compactBytes).toBeLessThan(rawBytes * 0.5);
  });
});
