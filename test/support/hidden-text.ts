/**
 * A name built from what a human cannot see, one of each kind: a bidi override, a zero-width space,
 * a variation selector (and one beyond the BMP, which can carry a payload), a Hangul filler, the
 * Braille blank, a no-break space, a run of combining marks and a curly quote that could fake the end
 * of ours. Each is also listed with the way our sentences spell it.
 */
export const HIDDEN_PARTS: readonly [raw: string, spelled: string][] = [
  ["\u202e", "\\u202e"],
  ["\u200b", "\\u200b"],
  ["\ufe0f", "\\ufe0f"],
  ["\u{e0101}", "\\u{e0101}"],
  ["\u3164", "\\u3164"],
  ["\u115f", "\\u115f"],
  ["\u2800", "\\u2800"],
  ["\u00a0", "\\u00a0"],
  ["\u201d", "\\u201d"],
];

export const ZALGO = `Z${"\u0336".repeat(12)}`;

export const HIDDEN_NAME = `Acme${HIDDEN_PARTS.map(([raw]) => raw).join("x")}${ZALGO} AG`;
