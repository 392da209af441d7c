import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { type Harness, startHarness, text } from "../../support/harness.js";
import {
  baseLead,
  counting,
  type Json,
  sc,
  stageNamed,
  store,
  userNamed,
} from "../../support/write-helpers.js";

const TODAY = "2026-03-15";
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: TODAY } });
});
afterAll(() => h.close());

const create = async (extra: Record<string, unknown>) => {
  const r = await h.call("create_lead", baseLead(h, extra));
  expect(r.isError, text(r)).toBeFalsy();
  return sc(r) as { lead: Json; warnings: string[] };
};
const update = async (id: number, extra: Record<string, unknown>) => {
  const r = await h.call("update_lead", { id, ...extra });
  expect(r.isError, text(r)).toBeFalsy();
  return sc(r) as { lead: Json; changes: string[]; warnings: string[] };
};
const fresh = async (extra: Record<string, unknown> = {}) => (await create(extra)).lead.id as number;
const deal = (id: number) => store(h).deals.find((d) => d.id === id) as DealRecord;

describe("create_lead reports what MOCO stored differently", () => {
  it("has no warnings when MOCO stored exactly what was asked", async () => {
    const { warnings } = await create({
      tags: ["Wichtig"],
      custom_properties: { Quelle: "Website", Rahmenvertrag: true, Leistungen: ["Design", "Hosting"] },
      service_period_from: "2026-04-01",
      service_period_to: "2026-06-30",
      info: "Erstkontakt",
    });
    expect(warnings).toEqual([]);
  });

  it('sends a yes/no field as MOCO takes and stores it, "1"/"0", and counts true ↔ "1" as a match', async () => {
    const from = h.sandbox.requests.length;
    const { lead, warnings } = await create({ custom_properties: { Rahmenvertrag: true } });
    const post = h.sandbox.requests.slice(from).find((q) => q.method === "POST");
    expect((post?.body as Json | undefined)?.custom_properties).toEqual({ Rahmenvertrag: "1" });
    expect(deal(lead.id).custom_properties.Rahmenvertrag).toBe("1");
    expect(warnings).toEqual([]);
    const off = await update(lead.id, { custom_properties: { Rahmenvertrag: false } });
    const put = h.sandbox.requests.filter((q) => q.method === "PUT").at(-1);
    expect((put?.body as Json | undefined)?.custom_properties).toEqual({ Rahmenvertrag: "0" });
    expect(off.warnings).toEqual([]);
    expect(off.changes).toEqual(["custom_properties.Rahmenvertrag: yes → no"]);
  });

  it("warns that closed_on is ignored while the lead is pending", async () => {
    const r = await h.call("create_lead", baseLead(h, { closed_on: "2026-03-01" }));
    const { lead, warnings } = sc(r);
    expect(lead.closed_on).toBeNull();
    expect(warnings).toEqual([expect.stringMatching(/^closed_on: MOCO ignores it while a lead is pending/)]);
    expect(text(r)).toMatch(/WARNINGS: closed_on/);
  });

  it("warns that MOCO set closed_on to today for a lead created as won", async () => {
    const { lead, warnings } = await create({ status: "won" });
    expect(lead.closed_on).toBe(TODAY);
    expect(warnings).toEqual([`closed_on: not given, MOCO set it to ${TODAY} because the lead is won`]);
  });

  it("warns about custom fields leads do not have, with the near miss or the real names", async () => {
    const { warnings } = await create({ custom_properties: { quelle: "Website", Budgetrahmen: "50k" } });
    expect(warnings).toEqual([
      'custom_properties: "quelle" is not a custom field of leads, so MOCO ignored it; did you mean "Quelle"?',
      expect.stringMatching(
        /^custom_properties: "Budgetrahmen" is not a custom field of leads.*lead fields: Quelle, /,
      ),
    ]);
  });

  it("refuses a select value that is not one of the field's options, before writing", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", baseLead(h, { custom_properties: { Quelle: "Zeitung" } }));
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('"Zeitung" is no option of "Quelle"');
    expect(h.sandbox.requests.slice(from).filter((q) => q.method !== "GET")).toEqual([]);
  });

  it("warns about tags respelled by MOCO and about tags that did not exist", async () => {
    const { lead, warnings } = await create({ tags: ["wichtig", "Wichtg"] });
    expect(lead.tags).toEqual(["Wichtg", "Wichtig"]);
    expect(warnings).toEqual([
      'tags: MOCO stored "wichtig" as "Wichtig" (the account\'s spelling)',
      expect.stringMatching(/^tags: \["Wichtg"\] did not exist as deal tags, so MOCO created them/),
    ]);
    // The new tag is known now: asking for it again is no longer a warning.
    expect((await create({ tags: ["Wichtg"] })).warnings).toEqual([]);
  });

  it("warns when money is stored differently (MOCO keeps cents)", async () => {
    const { warnings } = await create({ money: 1499.555 });
    expect(warnings).toEqual(["money: asked 1499.555, MOCO stored 1499.56"]);
  });
});

describe("update_lead returns what changed, and warnings", () => {
  it("lists each changed field as from → to", async () => {
    const id = await fresh({ money: 20_000, tags: ["Neukunde"] });
    const anna = userNamed(h, "Anna");
    const { result, requests } = await counting(h, () =>
      h.call("update_lead", {
        id,
        money: 30_000,
        deal_category_id: stageNamed(h, "Verhandlungen").id,
        user_id: anna.id,
        tags: ["Neukunde", "Wichtig"],
      }),
    );
    const { changes, warnings, lead } = sc(result);
    expect(changes).toEqual([
      "money: 20000 → 30000",
      `user: Nicola Keller (id ${userNamed(h, "Nicola").id}) → Anna Schmid (id ${anna.id})`,
      `stage: Kontaktieren (id ${stageNamed(h, "Kontaktieren").id}) → Verhandlungen (id ${stageNamed(h, "Verhandlungen").id})`,
      'tags: ["Neukunde"] → ["Neukunde", "Wichtig"]',
    ]);
    expect(warnings).toEqual([]);
    expect(lead.money).toBe(30_000);
    expect(requests).toEqual([`GET /deals/${id}`, `PUT /deals/${id}`]);
    expect(text(result)).toMatch(/Changed money: 20000 → 30000; /);
  });

  it("says when nothing changed", async () => {
    const id = await fresh({ money: 500 });
    const r = await h.call("update_lead", { id, money: 500 });
    expect(sc(r).changes).toEqual([]);
    expect(text(r)).toMatch(/Nothing changed\./);
  });

  it("warns when marking a lead won without a date makes MOCO use today", async () => {
    const id = await fresh();
    const { changes, warnings } = await update(id, { status: "won" });
    expect(changes).toEqual(["status: pending → won", `closed_on: none → ${TODAY}`]);
    expect(warnings).toEqual([`closed_on: not given, MOCO set it to ${TODAY} because the lead is won`]);
  });

  it("warns that a closed_on sent to a pending lead was dropped", async () => {
    const id = await fresh();
    const { changes, warnings } = await update(id, { closed_on: "2026-03-01" });
    expect(changes).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/^closed_on: MOCO ignores it while a lead is pending/)]);
  });

  it("keeps quiet when closed_on goes with a closing status", async () => {
    const id = await fresh();
    const { warnings } = await update(id, { status: "lost", closed_on: "2026-03-01" });
    expect(warnings).toEqual([]);
  });

  it("warns that reopening a closed lead cleared its closed_on", async () => {
    const id = await fresh({ status: "lost", closed_on: "2026-02-27" });
    const { warnings } = await update(id, { status: "pending" });
    expect(warnings).toEqual(["closed_on: MOCO cleared it (was 2026-02-27) because the lead is pending"]);
  });

  it("warns about custom fields MOCO ignored on update, and shows merged changes", async () => {
    const id = await fresh({ custom_properties: { Quelle: "Messe" } });
    const { changes, warnings } = await update(id, { custom_properties: { Quelle: "Partner", Qulle: "x" } });
    expect(changes).toEqual(['custom_properties.Quelle: "Messe" → "Partner"']);
    expect(warnings).toEqual([
      expect.stringMatching(/^custom_properties: "Qulle" is not a custom field of leads/),
    ]);
  });

  it("reports a change nobody asked for (another edit between the read and the write)", async () => {
    const id = await fresh({ name: "Original name" });
    // The PUT waits; meanwhile someone renames the lead in MOCO.
    h.sandbox.faults.push({ kind: "slow", method: "PUT", path: `/deals/${id}`, delayMs: 150 });
    const rename = new Promise((resolve) =>
      setTimeout(() => {
        deal(id).name = "Renamed elsewhere";
        resolve(undefined);
      }, 50),
    );
    const [{ changes, warnings }] = await Promise.all([update(id, { money: 4242 }), rename]);
    expect(changes).toContain('name: "Original name" → "Renamed elsewhere"');
    expect(warnings).toEqual([
      'name changed although not asked: "Original name" → "Renamed elsewhere" (another edit in MOCO at the same time?)',
    ]);
  });
});
