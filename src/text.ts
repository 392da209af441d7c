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

// Control characters, bidi overrides and isolates, zero-width and other invisible format characters:
// in a name they can fake a line, reorder what is shown, or hide text.
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
const hex = (c: string) => `\\u${c.codePointAt(0)?.toString(16).padStart(4, "0")}`;

/** Text that is ours but may carry a fragment from MOCO: every invisible character spelled \uXXXX. */
export const visible = (text: string) => text.replace(INVISIBLE, hex);

/**
 * MOCO's text as a value in the JSON line of a result: kept as it is, except the characters JSON
 * would print as they are (bidi controls, zero-width characters, U+2028/2029), spelled \uXXXX, so
 * the printed line cannot be reordered or broken either.
 */
export const forJson = (text: string) =>
  // JSON.stringify escapes U+0000–U+001F itself (a line break stays "\n"), not the rest.
  text.replace(INVISIBLE, (c) => (c < " " ? c : hex(c)));

/**
 * Text from MOCO (a lead, stage or user name) as it stands in one of our own sentences: in double
 * quotes, with every character that could end the quote, start a line or reorder the text escaped,
 * and clipped. The JSON of a result keeps MOCO's value exactly; only the sentence uses this.
 */
export function quoted(text: string, max = 120): string {
  const clipped = [...text].length > max ? `${[...text].slice(0, max - 1).join("")}…` : text;
  const escaped = clipped.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(INVISIBLE, hex);
  return `"${escaped}"`;
}

/** The same for a short label that reads better bare (a stage or user name in a list). */
export const label = (text: string, max = 80) => {
  const q = quoted(text, max);
  return /^[\p{L}\p{N} .,&'()/+%@_-]*$/u.test(text) && text.length <= max ? text : q;
};
