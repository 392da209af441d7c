/**
 * Text rules used everywhere: how names are compared, and how text from MOCO is shown.
 */

/**
 * The one way names are compared (resolution, search, completion): case, accents, ß/ss and runs of
 * white space do not matter. "Mündliche  Zusage" → "mundliche zusage".
 */
export const fold = (s: string) =>
  s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss").replace(/\s+/g, " ").trim();

/**
 * fold() that also forgets German transliteration, so "Müller", "Mueller" and "Muller" compare equal
 * (ü = ue, ö = oe, ä = ae). Applied to both sides of a comparison, never shown.
 */
export const foldLoose = (s: string) =>
  s
    .normalize("NFKD")
    .replace(/([aou])\p{M}/gu, "$1")
    .toLowerCase()
    .replace(/([aou])e/g, "$1")
    .replace(/\p{M}/gu, "")
    .replace(/ß/g, "ss")
    .replace(/\s+/g, " ")
    .trim();

// What a reader cannot see, or what can fake a line, reorder the text or carry a hidden payload:
// controls, format characters (bidi, zero-width, tags), every default-ignorable code point (variation
// selectors, Hangul fillers, …), lone surrogates, private-use and unassigned code points, and every
// blank but the plain space (no-break and wide spaces, line and paragraph separators, the Braille blank).
const HIDDEN =
  /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}\p{Variation_Selector}\p{Zl}\p{Zp}\u2800]|(?! )\p{Zs}/u;
// Quotation marks and their look-alikes: inside our "…" they could fake its end. The apostrophes
// (' and ’, as in "O’Brien") cannot, and stay; the ASCII " is escaped as \" where it matters.
const QUOTES =
  /(?!['\u2019"])[\p{Quotation_Mark}\u02BA\u02DD\u02EE\u05F4\u2033\u2034\u2036\u2037\u2057\u275D\u275E\u3003\u{1F676}-\u{1F678}]/u;
const MARK = /\p{M}/u;
/** Combining marks kept on one letter (Vietnamese needs two, Thai and Hebrew three); more is an overlay. */
export const MARKS_PER_BASE = 3;
// A quick look before the character-by-character pass: most text has none of these.
const SUSPECT = new RegExp(`${HIDDEN.source}|${QUOTES.source}|\\p{M}`, "u");

type Spell = (c: string) => string;

/**
 * The one pass: every hidden character (and, with `quotes`, every quotation mark) spelled by `spell`,
 * combining marks kept only on a visible letter and at most MARKS_PER_BASE of them, the rest spelled;
 * `literal` spells characters of the enclosing syntax (a backslash, our quote), which carry no mark.
 */
function unhide(text: string, spell: Spell, quotes = false, literal?: Record<string, string>): string {
  if (!SUSPECT.test(text) && !(literal && /["\\]/.test(text))) return text;
  let out = "";
  let marks = -1; // marks on the character before; -1: nothing a mark may sit on
  for (const c of text) {
    const fixed = literal?.[c];
    if (fixed !== undefined || HIDDEN.test(c) || (quotes && QUOTES.test(c))) {
      out += fixed ?? spell(c);
      marks = -1;
    } else if (MARK.test(c)) {
      const keep = marks >= 0 && marks < MARKS_PER_BASE;
      out += keep ? c : spell(c);
      if (keep) marks++;
    } else {
      out += c;
      marks = c === " " ? -1 : 0;
    }
  }
  return out;
}

const hex4 = (n: number) => `\\u${n.toString(16).padStart(4, "0")}`;
/** \uXXXX, or \u{XXXXX} beyond the BMP (so "\ue0100" cannot be misread as U+E010 and a "0"). */
const hex: Spell = (c) => {
  const cp = c.codePointAt(0) ?? 0;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : hex4(cp);
};

/** Text that is ours but may carry a fragment from MOCO: every invisible character spelled \uXXXX. */
export const visible = (text: string) => unhide(text, hex);

/**
 * MOCO's text as a value in the JSON line of an error: kept as it is, except the characters JSON
 * would print as they are (bidi controls, zero-width characters, U+2028/2029, …), spelled \uXXXX, so
 * the printed line cannot be reordered or broken either.
 */
export const forJson = (text: string) =>
  // JSON.stringify escapes U+0000–U+001F itself (a line break stays "\n"), not the rest.
  unhide(text, (c) => (c < " " ? c : hex(c)));

/**
 * Text from MOCO (a lead, stage or user name) as it stands in one of our own sentences: in double
 * quotes, with every character that could end the quote, start a line, reorder or hide text escaped,
 * combining marks bounded, and clipped. The JSON of a result keeps MOCO's value exactly.
 */
export function quoted(text: string, max = 120): string {
  const clipped = [...text].length > max ? `${[...text].slice(0, max - 1).join("")}…` : text;
  return `"${unhide(clipped, hex, true, { "\\": "\\\\", '"': '\\"' })}"`;
}

/** The same for a short label that reads better bare (a stage or user name in a list). */
export const label = (text: string, max = 80) => {
  const q = quoted(text, max);
  return /^[\p{L}\p{N} .,&'()/+%@_-]*$/u.test(text) && text.length <= max && q === `"${text}"` ? text : q;
};

// JSON's own short escapes, as JSON.stringify writes them.
const JSON_SHORT: Record<string, string> = {
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};
/** \uXXXX as JSON spells it: a character beyond the BMP as its two surrogates. */
const jsonSpell: Spell = (c) =>
  JSON_SHORT[c] ?? [...Array(c.length).keys()].map((i) => hex4(c.charCodeAt(i))).join("");
const JSON_LITERAL = { "\\": "\\\\", '"': '\\"' };

/**
 * The JSON line of a result: JSON.stringify(value), except that every character quoted() would
 * escape is written as a \uXXXX escape. JSON.parse gives back exactly `value`; only the printed
 * line changes, so it cannot be reordered, broken or hide text either.
 */
export function jsonLine(value: unknown): string {
  const plain = JSON.stringify(value);
  return SUSPECT.test(plain) ? json(JSON.parse(plain)) : plain;
}

function json(value: unknown): string {
  if (typeof value === "string") return `"${unhide(value, jsonSpell, true, JSON_LITERAL)}"`;
  if (Array.isArray(value)) return `[${value.map(json).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${json(k)}:${json(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}
