import { describe, expect, it } from "vitest";
import { jsonLine, label, MARKS_PER_BASE, quoted, visible } from "../../src/text.js";

/**
 * What a human cannot see must not pass through our quoting. The characters are generated from their
 * Unicode property over the whole code space, not listed by hand: a table per property.
 */
const ALL = (() => {
  const out: string[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) out.push(String.fromCodePoint(cp));
  return out;
})();
const having = (property: RegExp) => ALL.filter((c) => property.test(c));
const hexOf = (c: string) => (c.codePointAt(0) ?? 0).toString(16).toUpperCase();

const HIDDEN_BY_PROPERTY: [string, string[]][] = [
  ["Default_Ignorable_Code_Point", having(/\p{Default_Ignorable_Code_Point}/u)],
  ["Variation_Selector", having(/\p{Variation_Selector}/u)],
  ["Cc (controls)", having(/\p{Cc}/u)],
  ["Cf (format: bidi, zero-width, tags)", having(/\p{Cf}/u)],
  ["Zs but the space, Zl, Zp (blanks)", having(/[\p{Zl}\p{Zp}]|(?! )\p{Zs}/u)],
  ["Co (private use)", having(/\p{Co}/u).filter((_, i) => i % 97 === 0)],
  ["Cn (unassigned)", having(/\p{Cn}/u).filter((_, i) => i % 997 === 0)],
  // Blanks that are letters or symbols to Unicode: the Hangul fillers and the Braille blank.
  ["Hangul fillers, Braille blank", ["\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"]],
];

/** Every character of `s` that stands raw in `out` and is one of `chars`. */
const raw = (out: string, chars: ReadonlySet<string>) => [...out].filter((c) => chars.has(c)).map(hexOf);

describe("the properties are what the table assumes", () => {
  it("Default_Ignorable_Code_Point holds the Hangul fillers and every variation selector", () => {
    const di = new Set(HIDDEN_BY_PROPERTY[0]?.[1]);
    for (const c of ["\u115f", "\u1160", "\u3164", "\uffa0", "\u180b", "\u{e0001}"])
      expect(di.has(c)).toBe(true);
    for (let cp = 0xfe00; cp <= 0xfe0f; cp++) expect(di.has(String.fromCodePoint(cp))).toBe(true);
    for (let cp = 0xe0100; cp <= 0xe01ef; cp++) expect(di.has(String.fromCodePoint(cp))).toBe(true);
    expect(di.size).toBeGreaterThan(4000);
  });
});

describe.each(HIDDEN_BY_PROPERTY)("quoted() and visible() escape every character of %s", (_name, chars) => {
  it("in a name, none stands raw, each is spelled \\u…", () => {
    expect(chars.length).toBeGreaterThan(0);
    const set = new Set(chars);
    const missed: string[] = [];
    for (const c of chars) {
      const q = quoted(`Acme${c}AG`, 500);
      const v = visible(`Lead${c}x`);
      const spelled = /^\\u(\{[0-9a-f]{5,6}\}|[0-9a-f]{4})$/;
      const inner = q.slice(5, -3);
      if (raw(q, set).length > 0 || raw(v, set).length > 0 || !spelled.test(inner)) missed.push(hexOf(c));
      if (inner.replace(/[{}]/g, "").replace("\\u", "") !== hexOf(c).toLowerCase().padStart(4, "0")) {
        missed.push(`${hexOf(c)} spelled ${inner}`);
      }
    }
    expect(missed).toEqual([]);
  });
});

describe("combining marks (Mn, Me) are bounded per letter", () => {
  // Marks that are not hidden themselves (a variation selector is Mn, and hidden).
  const marks = having(/[\p{Mn}\p{Me}]/u).filter((c) => !/\p{Default_Ignorable_Code_Point}/u.test(c));

  it(`a run keeps at most ${MARKS_PER_BASE} on its letter and spells the rest, for every mark`, () => {
    expect(marks.length).toBeGreaterThan(1500);
    const wrong: string[] = [];
    for (const m of marks) {
      const q = quoted(`e${m.repeat(40)}x`);
      const kept = [...q].filter((c) => c === m).length;
      const spelled = q.split(`\\u${hexOf(m).toLowerCase().padStart(4, "0")}`).length - 1;
      const spelledAstral = q.split(`\\u{${hexOf(m).toLowerCase()}}`).length - 1;
      if (kept !== MARKS_PER_BASE || spelled + spelledAstral !== 40 - MARKS_PER_BASE) wrong.push(hexOf(m));
    }
    expect(wrong).toEqual([]);
  });

  it("a mark with no letter to sit on (first, after a blank or an escape) is spelled, never put on our quote", () => {
    expect(marks.length).toBeGreaterThan(0);
    const wrong = marks.filter((m) => {
      const set = new Set([m]);
      return [quoted(`${m}Acme`), quoted(`a ${m}`), quoted(`a"${m}`), quoted(`a\u200b${m}`)].some(
        (q) => raw(q, set).length > 0,
      );
    });
    expect(wrong.map(hexOf)).toEqual([]);
  });

  it("letters with their usual marks stay as they are", () => {
    const names = ["Nguyễn Thị Minh", "e\u0302\u0323", "קָדְשׁ", "สวัสดี", "Müller"];
    for (const n of names) expect(quoted(n)).toBe(`"${n}"`);
  });
});

describe("a quoted value cannot fake the end of our quote", () => {
  const quotes = [
    ...having(/\p{Quotation_Mark}/u).filter((c) => c !== "'" && c !== "\u2019"),
    // Look-alikes of " that Unicode does not call quotation marks.
    ...[
      "\u02ba",
      "\u02dd",
      "\u02ee",
      "\u05f4",
      "\u2033",
      "\u2036",
      "\u3003",
      "\u275d",
      "\u275e",
      "\u{1f676}",
    ],
  ];

  it('every quotation mark and look-alike of " is escaped inside the value', () => {
    expect(quotes.length).toBeGreaterThan(25);
    const set = new Set(quotes);
    // Our own " may stand inside only as \", as before.
    const inside = (c: string) => quoted(`Acme${c} and lead 5 ${c}Other`).slice(1, -1).replaceAll('\\"', "");
    const wrong = quotes.filter((c) => raw(inside(c), set).length > 0);
    expect(wrong.map(hexOf)).toEqual([]);
  });

  it("apostrophes stay, and label() quotes anything it would have to escape", () => {
    expect(quoted("O’Brien's")).toBe(`"O’Brien's"`);
    expect(label("Won")).toBe("Won");
    for (const c of ["\u3164", "\u115f", "\uffa0"]) expect(label(`Won${c}`)).toBe(quoted(`Won${c}`));
  });
});

describe("jsonLine: the JSON line escapes the same characters, its value stays MOCO's", () => {
  const samples = HIDDEN_BY_PROPERTY.flatMap(([, chars]) => chars.filter((_, i) => i % 7 === 0));
  const value = {
    name: `Acme${samples.join("")}`,
    zalgo: `e${"\u0301".repeat(30)}`,
    quote: "fake\u201d end\uff02",
    custom_properties: { [`key\u202e${"\u{e0100}"}`]: ["a\u2028b", 1, null, true] },
    n: 1.5,
  };

  it("parses back to exactly the value, and no hidden character stands raw in the line", () => {
    expect(samples.length).toBeGreaterThan(500);
    const line = jsonLine(value);
    expect(JSON.parse(line)).toEqual(value);
    const hidden = new Set(HIDDEN_BY_PROPERTY.flatMap(([, chars]) => chars));
    expect(raw(line, hidden)).toEqual([]);
    expect(line).toContain("\\u202e");
    expect(line).toContain("\\udb40\\udd00"); // a variation selector beyond the BMP as its surrogates
    expect(line).toContain("\\u201d");
    expect([...line].filter((c) => c === "\u0301")).toHaveLength(MARKS_PER_BASE);
    expect(line).not.toContain("\n");
  });

  it("is JSON.stringify byte for byte when there is nothing to escape", () => {
    const plain = { id: 7, name: 'Müller "AG"\n', tags: ["a\\b"], when: null, ok: false, money: -0.25 };
    expect(jsonLine(plain)).toBe(JSON.stringify(plain));
  });
});
