import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Frame } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppHost, snapshot, startAppHost } from "./support/app-host.js";
import { type Json, money, round2, sc } from "./support/expect.js";

/**
 * Values MOCO should never send but one day may: the view shows each as what it is, marked as
 * unreadable, and everything else as usual. One bad lead must not cost the board its other cards.
 */
let host: AppHost;
beforeAll(async () => {
  host = await startAppHost();
}, 60_000);
afterAll(() => host?.close());

/** A list_leads result carrying exactly these leads: one complete page, so the view fetches no other. */
const leadsResult = (template: CallToolResult, leads: unknown[]): CallToolResult => ({
  ...template,
  structuredContent: { ...sc(template), leads, page: 1, per_page: 100, total: leads.length, next_page: null },
});

const invalidTexts = (view: Frame, id: number) =>
  view.locator(`.card[data-lead-id="${id}"] .invalid`).allTextContents();

/** Nothing on the page reads "-€0", "-0 %", "∞" or "NaN". */
async function expectNoImpossibleNumbers(view: Frame) {
  // biome-ignore lint/performance/useDomNodeTextContent: the text as a person reads it, line breaks between blocks
  const text = await view.evaluate(() => document.body.innerText);
  expect(text).not.toMatch(/∞|NaN|Infinity/);
  expect(text).not.toMatch(/-\s?(?:[€$]|CHF|EUR|USD)?\s?0(?![\d.,'’]*[1-9])(?:[.,]0+)?(?!\d)/);
}

describe("unreadable values from MOCO", () => {
  it("a lead with an impossible value shows that value marked unreadable, and every other card renders", async () => {
    const template = await host.call("list_leads", { status: "pending", per_page: 20 });
    const leads: Json[] = sc(template).leads.map((l: Json) => ({ ...l }));
    expect(leads).toHaveLength(20);
    const [a, b, c, d, e, f, g] = leads as [Json, Json, Json, Json, Json, Json, Json];
    a.reminder_date = "9999-99-99";
    b.money = "12abc";
    c.probability = 250;
    d.status = 7;
    delete e.currency;
    f.name = 42;
    g.reminder_date = "2026-02-30";
    const entries = [...leads, 42, { name: "A lead without id", money: 5, currency: "EUR" }];
    const { view, page, problems } = await host.open({
      tool: "list_leads",
      args: { status: "pending", per_page: 20 },
      result: leadsResult(template, entries),
    });
    await view.locator(".card").first().waitFor();
    await view.waitForFunction(() => !document.querySelector(".loading"));

    const shown = await view
      .locator(".card")
      .evaluateAll((cards) => cards.map((el) => Number((el as HTMLElement).dataset.leadId)));
    expect(shown.sort()).toEqual(leads.map((l) => l.id).sort());
    expect(await invalidTexts(view, a.id)).toEqual(["Reminder date unreadable: 9999-99-99"]);
    expect(await invalidTexts(view, g.id)).toEqual(["Reminder date unreadable: 2026-02-30"]);
    expect(await invalidTexts(view, b.id)).toEqual(["amount unreadable: 12abc"]);
    expect(await invalidTexts(view, c.id)).toEqual(["probability unreadable: 250"]);
    expect(await invalidTexts(view, d.id)).toEqual(["status unreadable: 7"]);
    expect(await invalidTexts(view, e.id)).toEqual(["currency missing"]);
    expect(await invalidTexts(view, f.id)).toEqual(["name unreadable: 42"]);
    // The cards without a fault show none.
    for (const l of leads.slice(7)) expect(await invalidTexts(view, l.id)).toEqual([]);

    // Entries that are no lead at all are listed with their raw text, not dropped.
    const unreadable = view.locator(".unreadable-leads");
    await expect(unreadable.locator("h2").textContent()).resolves.toBe(
      "2 entries of the result could not be read as leads",
    );
    const items = await unreadable.locator("li").allTextContents();
    expect(items).toEqual([
      "entry 21: not a lead object: 42",
      'entry 22: id missing: {"name":"A lead without id","money":5,"currency":"EUR"}',
    ]);

    // Totals leave out the leads whose amount, currency, status or probability is unreadable, and say so.
    const uncounted = new Set([b.id, c.id, d.id, e.id]);
    for (const column of await view.locator(".column").all()) {
      const ids = await column
        .locator(".card")
        .evaluateAll((cards) => cards.map((el) => Number((el as HTMLElement).dataset.leadId)));
      const out = leads.filter((l) => ids.includes(l.id) && uncounted.has(l.id));
      const note = column.locator(".column-uncounted");
      if (out.length === 0) await expect(note.count()).resolves.toBe(0);
      else
        await expect(note.textContent()).resolves.toBe(
          `${out.length} ${out.length === 1 ? "lead" : "leads"} not in the totals: unreadable values`,
        );
      const counted = leads.filter((l) => ids.includes(l.id) && !uncounted.has(l.id));
      const byCurrency = new Map<string, number>();
      for (const l of counted) byCurrency.set(l.currency, (byCurrency.get(l.currency) ?? 0) + l.money);
      const totals = await column
        .locator(".total")
        .evaluateAll((ts) =>
          ts.map((t) => [(t as HTMLElement).dataset.currency, t.querySelector(".total-value")?.textContent]),
        );
      expect(Object.fromEntries(totals)).toEqual(
        Object.fromEntries([...byCurrency].map(([cur, sum]) => [cur, money(round2(sum), cur)])),
      );
    }
    await expectNoImpossibleNumbers(view);
    await snapshot(page, view, "board-faults");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a month key like 2026-13 is shown as unreadable with a note, and the rest of the forecast renders", async () => {
    const args = { status: "pending", group_by: "month", top: 0 };
    const real = await host.call("pipeline_summary", args);
    const currencies: Json[] = structuredClone(sc(real).currencies);
    expect(currencies.length).toBeGreaterThanOrEqual(2);
    const first = currencies[0] as Json;
    const good: Json[] = first.groups.filter((g: Json) => /^\d{4}-\d{2}$/.test(g.key));
    first.groups.push({ key: "2026-13", count: 2, total: 1000, weighted: 500 });
    first.groups.push({ key: "2031-01", count: 1, total: 300, weighted: "abc" });
    const result = { ...real, structuredContent: { ...sc(real), currencies } };
    const { view, page, problems, calls } = await host.open({ tool: "pipeline_summary", args, result });
    await view.locator(".forecast-currency").first().waitFor();
    expect(calls).toEqual([]);

    const section = view.locator(`.forecast-currency[data-currency="${first.currency}"]`);
    await expect(section.locator("svg .bar").count()).resolves.toBe(good.length);
    const note = section.locator(".forecast-note");
    await expect(note.textContent()).resolves.toBe(
      "Not in the chart: month unreadable: 2026-13; weighted unreadable: abc (Jan 2031).",
    );
    const rows = await section
      .locator("tbody tr")
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(rows.map((r) => r[0])).toContain("month unreadable: 2026-13");
    expect(rows).toContainEqual(["Jan 2031", "1", money(300, first.currency), "weighted unreadable: abc"]);
    await expect(section.locator("tr.invalid").count()).resolves.toBe(2);
    // Every other currency is drawn in full, with no note.
    for (const other of currencies.slice(1)) {
      const s = view.locator(`.forecast-currency[data-currency="${other.currency}"]`);
      const months = other.groups.filter((g: Json) => /^\d{4}-\d{2}$/.test(g.key));
      await expect(s.locator("svg .bar").count()).resolves.toBe(months.length);
      await expect(s.locator(".forecast-note").count()).resolves.toBe(0);
    }
    await expectNoImpossibleNumbers(view);
    await snapshot(page, view, "forecast-faults");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("never prints -€0, ∞ or NaN: a tiny negative amount reads €0, an overflowing total reads n/a with the reason", async () => {
    const template = await host.call("list_leads", { status: "pending", per_page: 20 });
    const [x, y, z] = (sc(template).leads as Json[]).filter((l) => l.stage === sc(template).leads[0].stage);
    if (!x || !y || !z) throw new Error("the seed has fewer than three pending leads in one stage");
    const leads = [
      { ...x, money: -0.004, currency: "EUR" },
      { ...y, money: 1e308, currency: "USD" },
      { ...z, money: 1e308, currency: "USD" },
    ];
    const { view, page, problems } = await host.open({
      tool: "list_leads",
      args: { status: "pending", per_page: 20 },
      result: leadsResult(template, leads),
    });
    await view.locator(".card").nth(2).waitFor();
    await expect(view.locator(`.card[data-lead-id="${x.id}"] .card-amount`).textContent()).resolves.toBe(
      "€0",
    );
    const usd = view.locator('.total[data-currency="USD"]');
    await expect(usd.locator(".total-value").textContent()).resolves.toBe("n/a (too large to show)");
    await expect(view.locator('.total[data-currency="EUR"] .total-value').textContent()).resolves.toBe("€0");
    await expectNoImpossibleNumbers(view);
    expect(problems).toEqual([]);
    await page.close();
  });
});
