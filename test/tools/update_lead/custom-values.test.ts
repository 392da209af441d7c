import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";
import { writesSince } from "../../support/write-helpers.js";

/**
 * update_lead and update_leads read a custom field value as create_lead and list_leads do: options in
 * the account's spelling, words for yes/no as yes/no, anything else refused before a lead is written.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-03-15" } });
});
afterAll(() => h.close());

const taken = new Set<number>();
/** A pending lead no other test of this file uses. */
const pick = () => {
  const d = h.sandbox.store.deals.find((x) => x.status === "pending" && !taken.has(x.id));
  if (!d) throw new Error("the seed has too few pending leads");
  taken.add(d.id);
  return d;
};
const deal = (id: number) => h.sandbox.store.deals.find((d) => d.id === id) as DealRecord;
const lastPut = (from: number) =>
  (
    h.sandbox.requests
      .slice(from)
      .filter((q) => q.method === "PUT")
      .at(-1)?.body as Json
  )?.custom_properties;

describe("update_lead custom field values", () => {
  it("an option in another case is sent in the account's spelling, and the reply says so", async () => {
    const { id } = pick();
    const from = h.sandbox.requests.length;
    const r = await h.call("update_lead", { id, custom_properties: { Quelle: "MESSE" } });
    expect(r.isError, text(r)).toBeFalsy();
    expect(lastPut(from)).toEqual({ Quelle: "Messe" });
    expect(deal(id).custom_properties.Quelle).toBe("Messe");
    expect(sc(r).warnings).toEqual([
      'custom_properties: Quelle "MESSE" = "Messe" (sent in the account\'s spelling)',
    ]);
  });

  it('"yes" is sent as yes ("1")', async () => {
    const { id } = pick();
    const from = h.sandbox.requests.length;
    const r = await h.call("update_lead", { id, custom_properties: { Rahmenvertrag: "yes" } });
    expect(r.isError, text(r)).toBeFalsy();
    expect(lastPut(from)).toEqual({ Rahmenvertrag: "1" });
    expect(deal(id).custom_properties.Rahmenvertrag).toBe("1");
  });

  it("a value the field does not take is refused and nothing is written", async () => {
    const { id } = pick();
    const before = { ...deal(id).custom_properties };
    const from = h.sandbox.requests.length;
    const r = await h.call("update_lead", {
      id,
      custom_properties: { Quelle: "Webseite", Leistungen: ["Design", "Catering"], Rahmenvertrag: "eher" },
    });
    const error = errorOf(r);
    expect(error.message).toContain('"Webseite" is no option of "Quelle"');
    expect(error.message).toContain('"Catering" is no option of "Leistungen"');
    expect(error.message).toContain('"Rahmenvertrag" is a yes/no field');
    expect(Object.keys(error.fields).sort()).toEqual(["Leistungen", "Quelle", "Rahmenvertrag"]);
    expect(writesSince(h, from)).toEqual([]);
    expect(deal(id).custom_properties).toEqual(before);
  });
});

describe("update_leads selects by a yes/no field as list_leads does", () => {
  it('a filter "ja" selects the leads holding yes and says so; another word is refused before any lead is read', async () => {
    const yes = h.sandbox.store.deals
      .filter((d) => d.custom_properties.Rahmenvertrag === "1")
      .map((d) => d.id)
      .sort((x, y) => x - y);
    const dry = await h.call("update_leads", {
      filter: { custom_properties: { Rahmenvertrag: "ja" } },
      changes: { reminder_date: "2026-09-01" },
      dry_run: true,
    });
    expect(dry.isError, text(dry)).toBeFalsy();
    expect(text(dry)).toContain('Rahmenvertrag "ja" = yes');
    const rows = (sc(dry).leads as Json[]).map((l) => l.id as number).sort((x, y) => x - y);
    expect(rows).toEqual(yes);

    const from = h.sandbox.requests.length;
    const refused = await h.call("update_leads", {
      filter: { custom_properties: { Rahmenvertrag: "vielleicht" } },
      changes: { reminder_date: "2026-09-01" },
      dry_run: true,
    });
    expect(errorOf(refused).message).toContain('"Rahmenvertrag" is a yes/no field');
    expect(h.sandbox.requests.slice(from).filter((q) => q.path === "/deals")).toEqual([]);
    expect(writesSince(h, from)).toEqual([]);
  });
});
