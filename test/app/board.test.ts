import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppHost, snapshot, startAppHost, todayIn } from "./support/app-host.js";
import { expectedColumns, type Json, money, round2, sc } from "./support/expect.js";

let host: AppHost;
beforeAll(async () => {
  host = await startAppHost();
}, 60_000);
afterAll(() => host?.close());

const OPEN_ARGS = { status: "pending", per_page: 100 };

/** The pending leads the board should show: the opening result and its remaining pages. */
async function pendingLeads() {
  const first = await host.call("list_leads", OPEN_ARGS);
  const leads: Json[] = [...sc(first).leads];
  for (let page = sc(first).next_page; page !== null; ) {
    const next = sc(await host.call("list_leads", { ...OPEN_ARGS, page }));
    leads.push(...next.leads);
    page = next.next_page;
  }
  return { first, leads };
}

describe("the lead board", () => {
  it("shows one column per stage with its probability, the result's cards per column, currency totals and overdue marks", async () => {
    const { first, leads } = await pendingLeads();
    expect(sc(first).next_page).toBe(2); // the seed has more pending leads than one page: the board reads on
    const { view, calls, page, problems } = await host.open({
      tool: "list_leads",
      args: OPEN_ARGS,
      result: first,
    });
    await view
      .locator(".card")
      .nth(leads.length - 1)
      .waitFor();

    // It asked the host for exactly what it lacked: the stages and the second page.
    expect(calls.map((c) => [c.name, c.arguments])).toEqual([
      ["get_lead_options", {}],
      ["list_leads", { status: "pending", page: 2, per_page: 100 }],
    ]);
    const stages: Json[] = sc(calls[0]?.result ?? first).stages;
    const headings = await view.locator(".column-head h2").allTextContents();
    expect(headings).toEqual(
      [...stages]
        .sort((a, b) => a.probability - b.probability || a.id - b.id)
        .map((s) => `${s.name}${s.probability}%`),
    );
    const expected = expectedColumns(leads);
    expect(expected.size).toBeGreaterThanOrEqual(2);
    for (const [stage, col] of expected) {
      const column = view.locator(".column", { has: view.locator(".column-name", { hasText: stage }) });
      await expect(column.locator(".card").count(), stage).resolves.toBe(col.count);
      await expect(column.locator(".column-count").textContent()).resolves.toBe(`${col.count} leads`);
      for (const [currency, t] of col.currencies) {
        const total = column.locator(`.total[data-currency="${currency}"]`);
        await expect(total.locator(".total-value").textContent()).resolves.toBe(
          money(round2(t.total), currency),
        );
        await expect(total.locator(".total-weighted").textContent()).resolves.toBe(
          `weighted ${money(round2(t.weighted), currency)}`,
        );
      }
    }
    const today = todayIn("Europe/Zurich");
    const late = leads.filter((l) => l.reminder_date && l.reminder_date < today).map((l) => l.id);
    expect(late.length).toBeGreaterThan(0);
    const marked = await view
      .locator(".card", { has: view.locator(".badge.overdue") })
      .evaluateAll((cards) => cards.map((c) => Number((c as HTMLElement).dataset.leadId)));
    expect(marked.sort()).toEqual(late.sort());
    await snapshot(page, view, "board-light");
    // Under the spec's default CSP nothing was refused and nothing tried to leave the page.
    expect(problems).toEqual([]);
    expect(host.blocked).toEqual([]);
    await page.close();
  });

  it("follows the host: dark theme and its CSS variables, de-CH numbers, live context changes, fullscreen", async () => {
    const result = await host.call("list_leads", { status: "pending", per_page: 20 });
    const shown: Json[] = sc(result).leads;
    const { view, page } = await host.open({
      tool: "list_leads",
      args: { status: "pending", per_page: 20 },
      result,
      hostContext: {
        theme: "dark",
        locale: "de-CH",
        styles: { variables: { "--color-background-primary": "rgb(16, 20, 24)" } },
      },
    });
    await view.locator(".card").first().waitFor();
    const look = () =>
      view.evaluate(() => ({
        theme: document.documentElement.dataset.theme,
        scheme: getComputedStyle(document.documentElement).colorScheme,
        background: getComputedStyle(document.body).backgroundColor,
        card: getComputedStyle(document.querySelector(".card") as Element).color,
        lang: document.documentElement.lang,
      }));
    expect(await look()).toMatchObject({
      theme: "dark",
      scheme: "dark",
      background: "rgb(16, 20, 24)",
      lang: "de-CH",
    });
    // Text is light on dark: the default text colour resolves for the dark scheme.
    expect((await look()).card).toBe("rgb(244, 244, 243)");
    const lead = shown.find((l) => Number.isInteger(l.money) && l.money >= 1000) as Json;
    const amount = await view.locator(`.card[data-lead-id="${lead.id}"] .card-amount`).textContent();
    // de-CH groups thousands with an apostrophe: 48'500 (ICU versions differ on ' or ’).
    expect(amount?.replace(/’/g, "'")).toBe(money(lead.money, lead.currency, "de-CH").replace(/’/g, "'"));
    expect(amount).toMatch(/\d['’]\d{3}/);
    await snapshot(page, view, "board-dark");

    await page.evaluate(() =>
      window.setHostContext({
        theme: "light",
        locale: "en-US",
        displayMode: "inline",
        availableDisplayModes: ["inline", "fullscreen"],
      }),
    );
    await view.waitForFunction(() => document.documentElement.dataset.theme === "light");
    expect(await look()).toMatchObject({ theme: "light", scheme: "light", lang: "en-US" });
    await expect(view.locator(`.card[data-lead-id="${lead.id}"] .card-amount`).textContent()).resolves.toBe(
      money(lead.money, lead.currency),
    );

    await view.getByRole("button", { name: "Full screen" }).click();
    await view.waitForFunction(() => document.documentElement.dataset.displayMode === "fullscreen");
    expect(await page.evaluate(() => window.displayModeRequests)).toEqual(["fullscreen"]);
    await expect(view.getByRole("button", { name: "Exit full screen" }).count()).resolves.toBe(1);
    // The host fitted the frame to the size the view reported.
    const sizes = await page.evaluate(() => window.sizes);
    expect(sizes.length).toBeGreaterThan(0);
    expect(sizes.at(-1)?.height).toBeGreaterThan(200);
    await page.close();
  });

  it("shows the opening call's filters and re-calls list_leads through the host when they change", async () => {
    const args = { status: "pending", tags: ["Wichtig"], per_page: 100 };
    const result = await host.call("list_leads", args);
    const { view, calls, page } = await host.open({ tool: "list_leads", args, result });
    await view.locator(".card").first().waitFor();
    const form = view.getByRole("search", { name: "Filters" });
    await expect(form.getByLabel("Status").inputValue()).resolves.toBe("pending");
    await expect(form.getByLabel("Tags").inputValue()).resolves.toBe("Wichtig");
    await expect(view.locator(".card").count()).resolves.toBe(sc(result).leads.length);

    await form.getByLabel("Status").selectOption("won");
    await form.getByRole("button", { name: "Apply" }).click();
    const wanted = { status: "won", tags: ["Wichtig"], page: 1, per_page: 100 };
    await view.waitForFunction(() => !document.querySelector(".loading"));
    await view.locator(".card").first().waitFor();
    const recall = calls.find((c) => c.name === "list_leads" && c.arguments.status === "won");
    expect(recall?.arguments).toEqual(wanted);
    const won = sc(await host.call("list_leads", wanted)).leads as Json[];
    expect(won.length).toBeGreaterThan(0);
    expect(won.every((l) => l.status === "won")).toBe(true);
    await expect(view.locator(".card").count()).resolves.toBe(won.length);
    await expect(view.locator(".badge.status-won").count()).resolves.toBe(won.length);
    await page.close();
  });

  it("renders a lead named <img src=x onerror=alert(1)> as text: no img element, no alert", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    const deal = host.sandbox.store.deals.find((d) => d.status === "pending");
    if (!deal) throw new Error("the seed has no pending lead");
    const renamed = await host.call("update_lead", {
      id: deal.id,
      name: evil,
      info: "<b>bold</b><script>alert(2)</script>",
    });
    expect(renamed.isError, JSON.stringify(renamed.content)).toBeFalsy();
    const args = { ids: [deal.id], per_page: 100 };
    const result = await host.call("list_leads", args);
    const { view, page, dialogs } = await host.open({ tool: "list_leads", args, result });
    const card = view.locator(`.card[data-lead-id="${deal.id}"]`);
    await card.waitFor();
    await expect(card.locator(".card-name").textContent()).resolves.toBe(evil);
    await card.getByRole("button", { name: "Details" }).click();
    await view.locator(".details-info").waitFor();
    await expect(view.locator("#details-title").textContent()).resolves.toBe(evil);
    await expect(view.locator(".details-info p").textContent()).resolves.toBe(
      "<b>bold</b><script>alert(2)</script>",
    );
    expect(await view.locator("img, b, #details-body script").count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
