import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppHost, snapshot, startAppHost } from "./support/app-host.js";
import { type Json, money, sc } from "./support/expect.js";

let host: AppHost;
beforeAll(async () => {
  host = await startAppHost();
}, 60_000);
afterAll(() => host?.close());

const monthLabel = (m: string) =>
  new Intl.DateTimeFormat("en-US", { month: "short", year: "numeric", timeZone: "UTC" }).format(
    new Date(`${m}-01T00:00:00Z`),
  );

describe("the forecast", () => {
  it("charts pipeline_summary's weighted value per month, one chart and table per currency, never summed across", async () => {
    const args = { status: "pending", group_by: "month", top: 0 };
    const result = await host.call("pipeline_summary", args);
    const currencies: Json[] = sc(result).currencies;
    expect(currencies.length).toBeGreaterThanOrEqual(2);
    for (const theme of ["light", "dark"] as const) {
      const { page, view, calls } = await host.open({
        tool: "pipeline_summary",
        args,
        result,
        hostContext: { theme },
      });
      await view.locator(".forecast-currency").first().waitFor();
      expect(calls).toEqual([]); // everything came with the result
      await expect(view.getByRole("tab", { name: "Forecast" }).getAttribute("aria-selected")).resolves.toBe(
        "true",
      );
      const shown = await view
        .locator(".forecast-currency")
        .evaluateAll((s) => s.map((e) => (e as HTMLElement).dataset.currency));
      expect(shown).toEqual(currencies.map((c) => c.currency));
      for (const c of currencies) {
        const section = view.locator(`.forecast-currency[data-currency="${c.currency}"]`);
        const months = (c.groups as Json[]).filter((g) => /^\d{4}-\d{2}$/.test(g.key));
        expect(months.length).toBeGreaterThan(0);
        // The table: one row per month with the server's figures, the undated ones last.
        const rows = await section
          .locator("tbody tr")
          .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
        const undated = (c.groups as Json[]).filter((g) => !/^\d{4}-\d{2}$/.test(g.key));
        const line = (label: string, g: Json) => [
          label,
          String(g.count),
          money(g.total, c.currency),
          money(g.weighted, c.currency),
        ];
        expect(rows).toEqual([
          ...months.map((g) => line(monthLabel(g.key), g)),
          ...undated.map((g) => line("No date", g)),
        ]);
        // The chart: a bar per month, tallest for the largest weighted value, named for screen readers.
        const bars = section.locator("svg .bar");
        await expect(bars.count()).resolves.toBe(months.length);
        const heights = await bars
          .locator("rect")
          .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("height"))));
        const largest = months.reduce((a, b) => (b.weighted > a.weighted ? b : a));
        expect(heights[months.indexOf(largest)]).toBe(Math.max(...heights));
        const svg = section.locator("svg[role=img]");
        await expect(svg.locator("title").textContent()).resolves.toBe(
          `Weighted forecast in ${c.currency} by month`,
        );
        await expect(svg.locator("desc").textContent()).resolves.toContain(
          `${monthLabel(largest.key)}: ${money(largest.weighted, c.currency)}`,
        );
      }
      await snapshot(page, view, `forecast-${theme}`);
      await page.close();
    }
  });

  it("the board tab of a forecast loads list_leads with the same MOCO filters, and Apply re-calls pipeline_summary", async () => {
    const args = { status: "pending", tags: ["Wichtig"], group_by: "month", top: 0 };
    const result = await host.call("pipeline_summary", args);
    const { page, view, calls } = await host.open({ tool: "pipeline_summary", args, result });
    await view.locator(".forecast-currency").first().waitFor();
    await view.getByRole("tab", { name: "Board" }).click();
    await view.locator(".card").first().waitFor();
    expect(calls.map((c) => [c.name, c.arguments])).toEqual([
      ["get_lead_options", {}],
      ["list_leads", { status: "pending", tags: ["Wichtig"], page: 1, per_page: 100 }],
    ]);
    await expect(view.locator(".card").count()).resolves.toBe(sc(calls[1]?.result as never).leads.length);

    await view.getByRole("tab", { name: "Forecast" }).click();
    const filters = view.getByRole("search", { name: "Filters" });
    await filters.getByLabel("Months by").selectOption("closed_on");
    await filters.getByLabel("From").fill("2026-01");
    await filters.getByRole("button", { name: "Apply" }).click();
    await view.waitForFunction(
      () => document.querySelector(".forecast-currency, .empty") && !document.querySelector(".loading"),
    );
    const last = calls.at(-1);
    expect([last?.name, last?.arguments]).toEqual([
      "pipeline_summary",
      {
        status: "pending",
        tags: ["Wichtig"],
        month_basis: "closed_on",
        from: "2026-01",
        group_by: "month",
        top: 0,
      },
    ]);
    expect(last?.result.isError).toBeFalsy();
    await page.close();
  });
});
