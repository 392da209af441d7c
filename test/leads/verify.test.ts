import { describe, expect, it } from "vitest";
import { changesBetween, warningsFor } from "../../src/leads/verify.js";
import { lead } from "../fixtures/moco.js";

describe("warningsFor: any field stored differently than asked", () => {
  it("names currency, dates, status and referenced records that differ", () => {
    const asked = {
      currency: "CHF",
      reminder_date: "2026-07-01",
      status: "won",
      user_id: 11,
      company_id: 21,
      person_id: 40,
      deal_category_id: 30,
    };
    expect(warningsFor({ asked, after: lead(), before: null })).toEqual([
      "status: asked won, MOCO stored pending",
      "currency: asked CHF, MOCO stored EUR",
      "reminder_date: asked 2026-07-01, MOCO stored 2026-06-01",
      "user: asked id 11, MOCO stored Nicola Keller (id 10)",
      "company: asked id 21, MOCO stored Beispiel AG (id 20)",
      "person: asked id 40, MOCO stored none",
    ]);
  });

  it("treats empty text and null alike, and money to the cent", () => {
    expect(warningsFor({ asked: { info: "", money: 100.0 }, after: lead(), before: null })).toEqual([]);
  });

  it("checks custom values as MOCO stores them (booleans as 1/0, lists in any order)", () => {
    const after = lead({ custom_properties: { Rahmenvertrag: "1", Leistungen: ["Hosting", "Design"] } });
    const definitions = {
      definitions: [
        { name: "Rahmenvertrag", kind: "Boolean", options: [] },
        { name: "Leistungen", kind: "MultiSelect", options: ["Design", "Hosting"] },
      ],
      complete: true,
    };
    const asked = { custom_properties: { Rahmenvertrag: true, Leistungen: ["Design", "Hosting"] } };
    expect(warningsFor({ asked, after, before: null, definitions })).toEqual([]);
    // What create/update_lead send: the boolean already in MOCO's form.
    const sent = { custom_properties: { Rahmenvertrag: "1", Leistungen: ["Design", "Hosting"] } };
    expect(warningsFor({ asked: sent, after, before: null, definitions })).toEqual([]);
    const wrong = { custom_properties: { Rahmenvertrag: false } };
    expect(warningsFor({ asked: wrong, after, before: null, definitions })).toEqual([
      'custom_properties.Rahmenvertrag: asked false, MOCO stored "1"',
    ]);
  });

  it("shows a single-choice value that is no option as it was given, not as a list", () => {
    const after = lead({ custom_properties: { Quelle: "Zeitung", Leistungen: ["Design", "Catering"] } });
    const definitions = {
      definitions: [
        { name: "Quelle", kind: "Select", options: ["Website", "Messe"] },
        { name: "Leistungen", kind: "MultiSelect", options: ["Design", "Hosting"] },
      ],
      complete: true,
    };
    const asked = { custom_properties: { Quelle: "Zeitung", Leistungen: ["Design", "Catering"] } };
    expect(warningsFor({ asked, after, before: null, definitions })).toEqual([
      'custom_properties.Quelle: "Zeitung" not among its options (Website, Messe)',
      'custom_properties.Leistungen: ["Catering"] not among its options (Design, Hosting)',
    ]);
  });

  it("does not call a tag new or a field unknown when the account's list was cut short", () => {
    const after = lead({ tags: ["Zzz"], custom_properties: { Feld600: "x" } });
    const asked = { tags: ["Zzz"], custom_properties: { Feld600: "x" } };
    const knownTags = { tags: ["Aaa"], complete: false };
    const definitions = { definitions: [{ name: "Quelle", kind: "Select", options: [] }], complete: false };
    expect(warningsFor({ asked, after, before: null, knownTags, definitions })).toEqual([
      'tags: could not check whether ["Zzz"] existed before: the account\'s tag list is incomplete (1 read)',
    ]);
    const complete = {
      knownTags: { ...knownTags, complete: true },
      definitions: { ...definitions, complete: true },
    };
    expect(warningsFor({ asked, after, before: null, ...complete })).toEqual([
      expect.stringMatching(/^tags: \["Zzz"\] did not exist as deal tags, so MOCO created them/),
      expect.stringMatching(/^custom_properties: "Feld600" is not a custom field of leads/),
    ]);
  });

  it("without definitions, still notices a custom value that was not stored", () => {
    const asked = { custom_properties: { Neu: "x" } };
    expect(warningsFor({ asked, after: lead(), before: null })).toEqual([
      'custom_properties.Neu: asked "x", MOCO did not store it',
    ]);
  });

  it("notices tags MOCO dropped or kept against the request", () => {
    const after = lead({ tags: ["Alt"] });
    expect(warningsFor({ asked: { tags: ["Neu"] }, after, before: null })).toEqual([
      'tags: "Neu" was asked but not stored',
      'tags: MOCO also kept ["Alt"], which were not asked',
    ]);
  });
});

describe("changesBetween", () => {
  it("shows names for referenced records and quotes free text", () => {
    const before = lead({ name: "A", info: "" });
    const after = lead({
      name: "B",
      info: "Neu",
      person: { id: 40, name: "Max Muster" },
      service_period_from: "2026-04-01",
    });
    expect(changesBetween(before, after)).toEqual([
      'name: "A" → "B"',
      'info: none → "Neu"',
      "service_period_from: none → 2026-04-01",
      "person: none → Max Muster (id 40)",
    ]);
  });
});
