import { describe, expect, it } from "vitest";
import { containsLoose, spellings } from "../../src/leads/name-search.js";
import { foldLoose } from "../../src/text.js";

/**
 * The folding rule of every name comparison and search, as a table: case, accents and German umlaut
 * spellings aside (ä = ae, ö = oe, ü = ue, ß = ss), and the spellings MOCO's term search is asked for.
 */
const SAME: [typed: string, stored: string][] = [
  ["muller", "Müller"],
  ["mueller", "Müller"],
  ["MUELLER", "Müller"],
  ["MÜLLER", "Mueller"],
  ["soehne", "Söhne"],
  ["baecker", "Bäcker"],
  ["Baecker", "BÄCKER"],
  ["strasse", "Straße"],
  ["zurich", "Zürich"],
  ["zuerich", "Zürich"],
  ["cafe", "Café"],
  ["creme brulee", "Crème brûlée"],
  ["senor", "Señor"],
  ["francois", "François"],
  ["a  b", "A b"],
];

describe("foldLoose: one rule for case, accents and umlaut spellings", () => {
  it.each(SAME)("%s compares equal to %s", (typed, stored) => {
    expect(foldLoose(typed)).toBe(foldLoose(stored));
  });

  it.each([
    ["muller", "Müller & Söhne GmbH"],
    ["mueller", "Müller & Söhne GmbH"],
    ["soehne gmbh", "Müller & Söhne GmbH"],
    ["jurgen", "Jürgen Müller"],
  ])("%s is found in %s", (term, name) => {
    expect(containsLoose(name, term)).toBe(true);
  });

  it.each([
    ["muller", "Miller AG"],
    ["bach", "Bäcker"],
  ])("%s is not found in %s", (term, name) => {
    expect(containsLoose(name, term)).toBe(false);
  });
});

describe("spellings: what MOCO's term search is asked for", () => {
  it.each([
    ["Mueller", ["Mueller", "Müller"]],
    ["Strasse", ["Strasse", "Straße"]],
    ["Soehne Strasse", ["Soehne Strasse", "Söhne Strasse", "Söhne Straße"]],
    ["Beispiel", ["Beispiel"]],
    [" Ueli ", ["Ueli", "Üli"]],
  ])("%s → %j", (term, expected) => {
    expect(spellings(term)).toEqual(expected);
  });
});
