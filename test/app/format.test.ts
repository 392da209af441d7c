import { describe, expect, it } from "vitest";
import { formats } from "../../src/app/view/format.js";

/**
 * The view's format helpers never print "-0", "∞" or "NaN", and never throw on a value they cannot
 * show: it is named as unreadable instead (the page test is test/app/faults.test.ts).
 */
const en = formats("en-US");
const de = formats("de-CH");
const apostrophe = (s: string) => s.replace(/’/g, "'").replace(/[\u00a0\u202f]/g, " ");

describe("the view's format helpers", () => {
  it.each([
    ["money(-0, EUR)", () => en.money(-0, "EUR"), "€0"],
    ["money(-0.004, EUR): rounds to zero", () => en.money(-0.004, "EUR"), "€0"],
    ["money(-0.4, EUR)", () => en.money(-0.4, "EUR"), "-€0.40"],
    ["money(-1200, EUR)", () => en.money(-1200, "EUR"), "-€1,200"],
    ["money(8800.5, CHF) de-CH", () => apostrophe(de.money(8800.5, "CHF")), "CHF 8'800.50"],
    ["money(-0.001, CHF) de-CH", () => apostrophe(de.money(-0.001, "CHF")), "CHF 0"],
    ["money(Infinity, EUR)", () => en.money(Number.POSITIVE_INFINITY, "EUR"), "n/a (too large to show)"],
    ["money(-Infinity, EUR)", () => en.money(Number.NEGATIVE_INFINITY, "EUR"), "n/a (too large to show)"],
    [
      "money(1e20, USD): too large for cents, not for the number",
      () => en.money(1e20, "USD"),
      "$100,000,000,000,000,000,000",
    ],
    ["money(NaN, EUR)", () => en.money(Number.NaN, "EUR"), "n/a (not a number)"],
    ["money(5, not a code)", () => en.money(5, "points"), "5 points"],
    ["money(-0, not a code)", () => en.money(-0, "points"), "0 points"],
    ["percent(-0)", () => en.percent(-0), "0%"],
    ["percent(-0.01): rounds to zero", () => en.percent(-0.01), "0%"],
    ["percent(-0.01) de-CH", () => de.percent(-0.01), "0%"],
    ["percent(12.5)", () => en.percent(12.5), "12.5%"],
    ["percent(Infinity)", () => en.percent(Number.POSITIVE_INFINITY), "n/a (too large to show)"],
    ["percent(NaN)", () => en.percent(Number.NaN), "n/a (not a number)"],
    ["count(-0)", () => en.count(-0), "0"],
    ["count(5000)", () => en.count(5000), "5,000"],
    ["count(NaN)", () => en.count(Number.NaN), "n/a (not a number)"],
    ["compact(-0)", () => en.compact(-0), "0"],
    ["compact(25000)", () => en.compact(25000), "25K"],
    ["compact(Infinity)", () => en.compact(Number.POSITIVE_INFINITY), "n/a (too large to show)"],
    ["date(2026-02-28)", () => en.date("2026-02-28"), "Feb 28, 2026"],
    ["date(2024-02-29): a leap day", () => en.date("2024-02-29"), "Feb 29, 2024"],
    ["date(2026-02-30)", () => en.date("2026-02-30"), "date unreadable: 2026-02-30"],
    ["date(9999-99-99)", () => en.date("9999-99-99"), "date unreadable: 9999-99-99"],
    ["date(2026-1-5)", () => en.date("2026-1-5"), "date unreadable: 2026-1-5"],
    ["date(0000-01-01)", () => en.date("0000-01-01"), "date unreadable: 0000-01-01"],
    ["month(2026-01)", () => en.month("2026-01"), "Jan 2026"],
    ["month(2026-13)", () => en.month("2026-13"), "month unreadable: 2026-13"],
    ["month(2026-00)", () => en.month("2026-00"), "month unreadable: 2026-00"],
  ])("%s → %s", (_name, run, expected) => {
    expect(run()).toBe(expected);
  });

  it("no helper prints -0, ∞ or NaN for any number, in either locale", () => {
    const numbers = [-0, 0, -1e-9, -0.0049, -0.005, 1e308 * 10, -1e308 * 10, Number.NaN, -0.04, 1e21];
    for (const f of [en, de]) {
      for (const n of numbers) {
        for (const text of [f.money(n, "EUR"), f.money(n, "CHF"), f.percent(n), f.count(n), f.compact(n)]) {
          expect(text, `${n} → ${text}`).not.toMatch(/∞|NaN|(?:^|\D)-\D*0(?:[.,]0+)?\D*$/);
        }
      }
    }
  });
});
