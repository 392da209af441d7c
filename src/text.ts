/**
 * The one way names are compared everywhere (resolution, search, completion): case, accents,
 * ß/ss and runs of white space do not matter. "Mündliche  Zusage" → "mundliche zusage".
 */
export const fold = (s: string) =>
  s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss").replace(/\s+/g, " ").trim();
