import type { Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppHost, ARTIFACTS, type HostedCall, startAppHost } from "./support/app-host.js";
import { errorMessage, type Json, sc } from "./support/expect.js";

let host: AppHost;
beforeAll(async () => {
  host = await startAppHost();
}, 60_000);
afterAll(() => host?.close());

const ARGS = { status: "pending", per_page: 100 };

interface Opened {
  page: Page;
  view: Frame;
  calls: HostedCall[];
  stages: Json[];
  /** A card of the first page in the given column (0 = lowest probability). */
  lead(column: number): Json;
  /** The calls made since the board was ready. */
  since(): HostedCall[];
}

async function openBoard(): Promise<Opened> {
  const result = await host.call("list_leads", ARGS);
  const { page, view, calls } = await host.open({ tool: "list_leads", args: ARGS, result });
  await view.locator(".card").first().waitFor();
  await view.waitForFunction(() => !document.querySelector(".loading"));
  const ready = calls.length;
  const stages: Json[] = [...sc((await host.call("get_lead_options")) as never).stages].sort(
    (a, b) => a.probability - b.probability || a.id - b.id,
  );
  const leads: Json[] = sc(result).leads;
  return {
    page,
    view,
    calls,
    stages,
    lead: (column) => {
      const found = leads.find((l) => l.stage === stages[column]?.name);
      if (!found) throw new Error(`no lead in stage ${column} on the first page`);
      return found;
    },
    since: () => calls.slice(ready),
  };
}

const cardIn = (view: Frame, stageId: number, leadId: number) =>
  view.locator(`.column[data-stage-id="${stageId}"] .card[data-lead-id="${leadId}"]`);
const stored = (id: number) => host.sandbox.store.deals.find((d) => d.id === id);

describe("actions through the host", () => {
  it("Alt+Right on a focused card sends exactly update_lead {id, deal_category_id} and shows the lead MOCO stored", async () => {
    const b = await openBoard();
    const lead = b.lead(0);
    const [from, to] = [b.stages[0], b.stages[1]] as [Json, Json];
    const card = cardIn(b.view, from.id, lead.id);
    await card.focus();
    await b.page.keyboard.press("Alt+ArrowRight");
    await cardIn(b.view, to.id, lead.id).waitFor();
    expect(b.since().map((c) => [c.name, c.arguments])).toEqual([
      ["update_lead", { id: lead.id, deal_category_id: to.id }],
    ]);
    expect(stored(lead.id)?.deal_category_id).toBe(to.id);
    // The card was redrawn in its new column from the returned lead, and keeps the focus.
    const focused = await b.view.evaluate(
      () => (document.activeElement as HTMLElement | null)?.dataset.leadId,
    );
    expect(Number(focused)).toBe(lead.id);
    await b.page.close();
  });

  it("dragging a card onto another column sends update_lead for that column's stage", async () => {
    const b = await openBoard();
    const lead = b.lead(1);
    const [from, to] = [b.stages[1], b.stages[3]] as [Json, Json];
    await cardIn(b.view, from.id, lead.id).dragTo(
      b.view.locator(`.column[data-stage-id="${to.id}"] .column-head`),
    );
    await cardIn(b.view, to.id, lead.id).waitFor();
    expect(b.since().map((c) => [c.name, c.arguments])).toEqual([
      ["update_lead", { id: lead.id, deal_category_id: to.id }],
    ]);
    expect(stored(lead.id)?.deal_category_id).toBe(to.id);
    await b.page.close();
  });

  it("the stage select in a card's editor moves it too (keyboard only)", async () => {
    const b = await openBoard();
    const lead = b.lead(2);
    const to = b.stages[4] as Json;
    const card = cardIn(b.view, (b.stages[2] as Json).id, lead.id);
    await card.getByText("Edit").focus();
    await b.page.keyboard.press("Enter");
    await card.getByLabel(`Stage of ${lead.name}`).selectOption(String(to.id));
    await cardIn(b.view, to.id, lead.id).waitFor();
    expect(b.since().map((c) => [c.name, c.arguments])).toEqual([
      ["update_lead", { id: lead.id, deal_category_id: to.id }],
    ]);
    expect(stored(lead.id)?.deal_category_id).toBe(to.id);
    await b.page.close();
  });

  it("a new reminder date is sent as update_lead {id, reminder_date} and shown as stored", async () => {
    const b = await openBoard();
    const lead = b.lead(3);
    const card = b.view.locator(`.card[data-lead-id="${lead.id}"]`);
    await card.getByText("Edit").click();
    await card.getByLabel(`Reminder date of ${lead.name}`).fill("2031-03-14");
    await card.getByRole("button", { name: "Save date" }).click();
    await b.view.waitForFunction(
      (id) =>
        document.querySelector(`.card[data-lead-id="${id}"] .card-reminder`)?.textContent ===
        "Reminder Mar 14, 2031",
      lead.id,
    );
    expect(b.since().map((c) => [c.name, c.arguments])).toEqual([
      ["update_lead", { id: lead.id, reminder_date: "2031-03-14" }],
    ]);
    expect(stored(lead.id)?.reminder_date).toBe("2031-03-14");
    await expect(card.locator(".badge.overdue").count()).resolves.toBe(0);
    await b.page.close();
  });

  it("a move MOCO refuses shows the server's message on the card and leaves it where MOCO has it", async () => {
    const b = await openBoard();
    const lead = b.lead(0);
    const [from, to] = [b.stages[0], b.stages[1]] as [Json, Json];
    host.sandbox.faults.push({
      method: "PUT",
      path: `/deals/${lead.id}`,
      kind: "status",
      status: 422,
      body: { message: "Deal category is locked" },
    });
    await cardIn(b.view, from.id, lead.id).focus();
    await b.page.keyboard.press("Alt+ArrowRight");
    const error = cardIn(b.view, from.id, lead.id).locator(".card-error");
    await error.waitFor();
    const [sent] = b.since();
    expect(sent?.name).toBe("update_lead");
    expect(sent?.result.isError).toBe(true);
    const message = errorMessage(sent?.result as never);
    expect(message).toContain("Deal category is locked");
    await expect(error.textContent()).resolves.toBe(message);
    expect(stored(lead.id)?.deal_category_id).toBe(from.id);
    await expect(cardIn(b.view, to.id, lead.id).count()).resolves.toBe(0);
    await cardIn(b.view, from.id, lead.id).screenshot({ path: `${ARTIFACTS}/card-error.png` });
    await b.page.close();
  });

  it("moving a lead deleted meanwhile shows the not-found message on the card", async () => {
    const b = await openBoard();
    const lead = b.lead(4);
    const deal = stored(lead.id);
    if (!deal) throw new Error("lead missing from the sandbox");
    host.sandbox.store.deleteDeal(deal);
    const from = b.stages[4] as Json;
    await cardIn(b.view, from.id, lead.id).focus();
    await b.page.keyboard.press("Alt+ArrowLeft");
    const error = cardIn(b.view, from.id, lead.id).locator(".card-error");
    await error.waitFor();
    const [sent] = b.since();
    expect(sent?.arguments).toEqual({ id: lead.id, deal_category_id: (b.stages[3] as Json).id });
    await expect(error.textContent()).resolves.toBe(errorMessage(sent?.result as never));
    await expect(error.textContent()).resolves.toMatch(/not found/i);
    await b.page.close();
  });

  it("Details calls get_lead {id} and shows the stored lead", async () => {
    const b = await openBoard();
    const lead = b.lead(1);
    await b.view.locator(`.card[data-lead-id="${lead.id}"]`).getByRole("button", { name: "Details" }).click();
    await b.view.locator(".details-list").waitFor();
    expect(b.since().map((c) => [c.name, c.arguments])).toEqual([["get_lead", { id: lead.id }]]);
    await expect(b.view.locator("#details-title").textContent()).resolves.toBe(lead.name);
    const rows = await b.view.locator(".details-list div").allTextContents();
    expect(rows).toContain(`Status${lead.status}`);
    await b.page.keyboard.press("Escape");
    await b.view.waitForFunction(() => !(document.getElementById("details") as HTMLDialogElement).open);
    await b.page.close();
  });
});
