import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetReference } from "../../../src/moco/reference.js";
import type { DealRecord } from "../../../src/sandbox/index.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";
import { baseLead, store, writesSince } from "../../support/write-helpers.js";

/**
 * create_lead reads a custom field value the way list_leads does: an option in any case or accents
 * is sent in the account's spelling (so a later filter finds the lead), a word for yes or no is sent
 * as yes/no, and a value the field does not take is refused before anything is written. Free text is
 * sent as given; when the definitions cannot be read, every value is, and the reply says so.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-03-15" } });
});
afterAll(() => h.close());

const deal = (id: number) => store(h).deals.find((d) => d.id === id) as DealRecord;
const posted = (from: number) =>
  (h.sandbox.requests.slice(from).find((q) => q.method === "POST" && q.path === "/deals")?.body as Json)
    ?.custom_properties;
const create = async (
  custom_properties: Record<string, unknown>,
  name = `Lead ${Math.random().toString().slice(2, 12)}`,
) => {
  const from = h.sandbox.requests.length;
  const r = await h.call("create_lead", baseLead(h, { name, custom_properties }));
  expect(r.isError, text(r)).toBeFalsy();
  const { lead, warnings } = sc(r) as { lead: Json; warnings: string[] };
  return { id: lead.id as number, warnings, sent: posted(from), summary: text(r) };
};

describe("create_lead custom field values", () => {
  it("an option in another case is sent in the account's spelling, said, and a filter then finds the lead", async () => {
    const { id, warnings, sent, summary } = await create({ Quelle: "website" });
    expect(sent).toEqual({ Quelle: "Website" });
    expect(deal(id).custom_properties.Quelle).toBe("Website");
    expect(warnings).toEqual([
      'custom_properties: Quelle "website" = "Website" (sent in the account\'s spelling)',
    ]);
    expect(summary).toContain('Quelle "website" = "Website"');
    const found = await h.call("list_leads", { custom_properties: { Quelle: "website" }, per_page: 100 });
    expect((sc(found).leads as Json[]).map((l) => l.id)).toContain(id);
  });

  it("each value of a multiple-choice field is matched to its option", async () => {
    const { id, sent } = await create({ Leistungen: ["design", "HOSTING"] });
    expect(sent).toEqual({ Leistungen: ["Design", "Hosting"] });
    expect(deal(id).custom_properties.Leistungen).toEqual(["Design", "Hosting"]);
  });

  it("a value that is no option is refused before the write, with the options listed", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", baseLead(h, { custom_properties: { Quelle: "Zeitung" } }));
    const error = errorOf(r);
    expect(error.kind).toBe("invalid_input");
    expect(error.message).toMatch(/^Nothing was written\./);
    expect(error.message).toContain('"Zeitung" is no option of "Quelle" (case and accents aside)');
    expect(error.fields).toEqual({ Quelle: ["Empfehlung", "Website", "Messe", "Kaltakquise", "Partner"] });
    expect(writesSince(h, from)).toEqual([]);
  });

  it('a word for yes or no is sent as yes/no ("1"/"0"); another value is refused', async () => {
    const yes = await create({ Rahmenvertrag: "ja" });
    expect(yes.sent).toEqual({ Rahmenvertrag: "1" });
    expect(deal(yes.id).custom_properties.Rahmenvertrag).toBe("1");
    expect(yes.warnings).toEqual(['custom_properties: Rahmenvertrag "ja" = yes (sent as yes/no)']);
    const no = await create({ Rahmenvertrag: "Nein" });
    expect(no.sent).toEqual({ Rahmenvertrag: "0" });
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", baseLead(h, { custom_properties: { Rahmenvertrag: "klar" } }));
    expect(errorOf(r).message).toContain(
      '"Rahmenvertrag" is a yes/no field, and "klar" is neither yes nor no',
    );
    expect(writesSince(h, from)).toEqual([]);
  });

  it("free text is sent as given, with nothing to say", async () => {
    const { sent, warnings } = await create({ Projektcode: "prj-2026-x" });
    expect(sent).toEqual({ Projektcode: "prj-2026-x" });
    expect(warnings).toEqual([]);
  });

  it("when the key may not read the definitions, the value is sent as given and the reply says it was not checked", async () => {
    forgetReference(h.moco);
    h.sandbox.faults.push({ kind: "status", status: 403, body: "", path: "/account/custom_properties" });
    const { sent, warnings } = await create({ Quelle: "website" });
    forgetReference(h.moco);
    expect(sent).toEqual({ Quelle: "website" });
    expect(warnings).toContain(
      'custom_properties: the field definitions could not be read (MOCO refused them to this API key), so "Quelle" was sent as given and could not be checked',
    );
  });

  it("when reading the definitions fails otherwise, that is said too", async () => {
    forgetReference(h.moco);
    h.sandbox.faults.push({
      kind: "status",
      status: 404,
      path: "/account/custom_properties",
      times: 1,
    });
    const { sent, warnings } = await create({ Rahmenvertrag: true });
    forgetReference(h.moco);
    expect(sent).toEqual({ Rahmenvertrag: "1" });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^custom_properties: the field definitions could not be read \(reading them failed: .+\), so "Rahmenvertrag" was sent as given and could not be checked$/,
      ),
    ]);
  });
});
