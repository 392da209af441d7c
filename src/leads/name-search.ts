import {
  type CompanyEntry,
  findCompanies,
  findPeople,
  listCompanies,
  type PersonEntry,
} from "../moco/reference.js";
import { foldLoose } from "../text.js";
import type { LeadsContext } from "./context.js";

/**
 * Searching companies and people by part of a name the way names are compared everywhere else: case,
 * accents and German umlaut spellings aside ("muller", "mueller" and "Müller" find "Müller & Söhne
 * GmbH"). MOCO's term search matches the letters as typed, so it is asked for the spellings a typed
 * name may stand for, and, when none of its hits fits, the first pages of the whole list are read.
 */

const UMLAUTS: [RegExp, string][] = [
  [/ae/g, "ä"],
  [/oe/g, "ö"],
  [/ue/g, "ü"],
  [/Ae/g, "Ä"],
  [/Oe/g, "Ö"],
  [/Ue/g, "Ü"],
];

/**
 * The spellings MOCO's term search may hold for a typed term: as typed, with ae/oe/ue as ä/ö/ü, and
 * that with ss as ß ("Strasse": "Straße").
 */
export function spellings(term: string): string[] {
  const typed = term.trim();
  const umlauted = UMLAUTS.reduce((t, [from, to]) => t.replace(from, to), typed);
  return [...new Set([typed, umlauted, umlauted.replace(/ss/g, "ß")])];
}

/** Whether a name contains the term, case, accents and umlaut spellings aside. */
export const containsLoose = (name: string, term: string) => foldLoose(name).includes(foldLoose(term));

/**
 * MOCO's term search for each spelling of `term` until a hit's name contains it loosely; the hits of
 * every spelling asked, each once, those that fit first.
 */
export function spelledSearch<T extends { id: number; name: string }>(
  search: (term: string) => Promise<T[]>,
): (term: string) => Promise<T[]> {
  return async (term) => {
    const found = new Map<number, T>();
    for (const spelling of spellings(term)) {
      for (const r of await search(spelling)) if (!found.has(r.id)) found.set(r.id, r);
      if ([...found.values()].some((r) => containsLoose(r.name, term))) break;
    }
    const hits = [...found.values()];
    const fits = hits.filter((r) => containsLoose(r.name, term));
    return [...fits, ...hits.filter((r) => !fits.includes(r))];
  };
}

/**
 * Records whose name contains `term` (loosely): MOCO's term search for each spelling, else (no hit at
 * all) `all`, the first pages of the list, filtered here.
 */
export async function searchLoose<T extends { id: number; name: string }>(
  term: string,
  search: (term: string) => Promise<T[]>,
  all: () => Promise<T[]>,
): Promise<T[]> {
  const hits = await spelledSearch(search)(term);
  return hits.length > 0 ? hits : (await all()).filter((r) => containsLoose(r.name, term));
}

/** get_lead_options' search: companies and contact people whose names contain the term, loosely. */
export async function searchNames(
  term: string,
  ctx: Pick<LeadsContext, "moco" | "call">,
  limit = 20,
): Promise<{ companies: CompanyEntry[]; people: PersonEntry[] }> {
  const [companies, people] = await Promise.all([
    searchLoose(
      term,
      (t) => findCompanies(ctx.moco, t, ctx.call, limit),
      () => listCompanies(ctx.moco, ctx.call),
    ),
    searchLoose(
      term,
      (t) => findPeople(ctx.moco, t, ctx.call, limit),
      () => findPeople(ctx.moco, "", ctx.call, 100),
    ),
  ]);
  return { companies: companies.slice(0, limit), people: people.slice(0, limit) };
}
