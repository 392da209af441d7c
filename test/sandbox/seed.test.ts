import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays } from "../../src/sandbox/dates.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { SEED_STATUS_COUNTS } from "../../src/sandbox/seed.js";
import { allPages, TODAY } from "./helpers.js";

describe("seed data", () => {
  let a: Sandbox;
  let b: Sandbox;
  let other: Sandbox;
  beforeAll(async () => {
    [a, b, other] = await Promise.all([
      startSandbox({ today: TODAY }),
      startSandbox({ today: TODAY }),
      startSandbox({ today: "2025-07-01" }),
    ]);
  });
  afterAll(() => Promise.all([a.close(), b.close(), other.close()]));

  it("is deterministic: two sandboxes with the same options serve identical leads", async () => {
    const [first, second] = await Promise.all([allPages(a, "/deals"), allPages(b, "/deals")]);
    expect(first.length).toBeGreaterThanOrEqual(260);
    expect(second).toEqual(first);
    expect(b.store.comments).toEqual(a.store.comments);
    expect(b.store.profileUuid).toBe(a.store.profileUuid);
  });

  it("moves only the dates with another today", () => {
    const strip = (s: Sandbox) =>
      s.store.deals.map((d) => [d.id, d.name, d.status, d.money, d.currency, d.tags]);
    expect(strip(other)).toEqual(strip(a));
    expect(other.store.deals[0]?.reminder_date).not.toBe(a.store.deals[0]?.reminder_date);
  });

  it("has a realistic mix of statuses and currencies", () => {
    const deals = a.store.deals;
    for (const [status, n] of Object.entries(SEED_STATUS_COUNTS)) {
      expect(
        deals.filter((d) => d.status === status),
        status,
      ).toHaveLength(n);
    }
    const currencies = new Set(deals.map((d) => d.currency));
    expect(currencies).toEqual(new Set(["CHF", "EUR", "USD"]));
    expect(deals.some((d) => d.money === 0)).toBe(true);
    expect(deals.some((d) => !Number.isInteger(d.money))).toBe(true);
    expect(Math.max(...deals.map((d) => d.money))).toBeLessThanOrEqual(180_000);
  });

  it("spreads reminders around today and closes won/lost/dropped leads in the past year", () => {
    const deals = a.store.deals;
    const [from, to] = [addDays(TODAY, -60), addDays(TODAY, 60)];
    expect(deals.every((d) => d.reminder_date >= from && d.reminder_date <= to)).toBe(true);
    expect(deals.filter((d) => d.reminder_date === TODAY).length).toBeGreaterThanOrEqual(3);
    expect(deals.filter((d) => d.status === "pending" && d.reminder_date < TODAY).length).toBeGreaterThan(10);
    for (const d of deals) {
      const closed = ["won", "lost", "dropped"].includes(d.status);
      if (closed)
        expect(d.closed_on >= addDays(TODAY, -365) && d.closed_on < TODAY, `lead ${d.id}`).toBe(true);
      else expect(d.closed_on).toBe("");
      expect(d.updated_at >= d.created_at).toBe(true);
      expect(d.updated_at < `${TODAY}T00:00:00Z`).toBe(true);
    }
  });

  it("fills optional fields on a good share of leads", () => {
    const deals = a.store.deals;
    const share = (keep: (d: (typeof deals)[number]) => boolean) => deals.filter(keep).length / deals.length;
    expect(share((d) => d.person_id !== null)).toBeGreaterThan(0.4);
    expect(share((d) => d.service_period_from !== null)).toBeGreaterThan(0.3);
    expect(share((d) => d.tags.length > 0)).toBeGreaterThan(0.4);
    expect(share((d) => Object.keys(d.custom_properties).length > 0)).toBeGreaterThan(0.3);
    expect(share((d) => d.info !== "")).toBeGreaterThan(0.2);
    for (const d of deals.filter((x) => x.service_period_from)) {
      expect(d.service_period_from?.endsWith("-01")).toBe(true);
      expect(addDays(d.service_period_to ?? "", 1).endsWith("-01")).toBe(true);
    }
  });

  it("has the names that make resolution interesting", () => {
    const companies = a.store.companies.map((c) => c.name);
    expect(companies).toEqual(
      expect.arrayContaining(["Beispiel AG", "Beispiel GmbH", "Müller & Söhne GmbH", "Café Zürich AG"]),
    );
    expect(a.store.users.filter((u) => u.firstname === "Nicola")).toHaveLength(1);
    expect(a.store.users.some((u) => !u.active)).toBe(true);
    expect(a.store.people.length).toBeGreaterThanOrEqual(15);
  });
});
