import type { LeadsContext } from "./context.js";
import { type Found, findLeads, type Selection } from "./find.js";

/**
 * Paging a search without skipping or repeating a lead. A search reads every match at once, and a
 * page is a slice of them; read afresh for each page, a lead created or deleted in between would
 * shift the slices. So the matches of page 1 are kept (per MOCO client, that is per account and
 * key, for a while) and later pages of the same search are cut from them: every lead present
 * throughout comes exactly once, as it was when page 1 was read. A later page with nothing kept
 * (expired, another process, or a client built per request) is read afresh and says so.
 */
export const SNAPSHOT_TTL_MS = 15 * 60_000;
const MAX_KEPT = 8;

interface Kept {
  found: Found;
  /** When the matches were read (ms since the epoch). */
  at: number;
}

const kept = new WeakMap<object, Map<string, Kept>>();

/** One search, whatever page: the filters and sort as given, and the day counted as today. */
const keyOf = (selection: Selection, today: string) =>
  JSON.stringify([today, Object.entries(selection).sort(([a], [b]) => a.localeCompare(b))]);

export interface PagedFound {
  found: Found;
  /** When the matches were read, ISO; set when a later page was cut from matches kept since then. */
  keptSince?: string;
  /** A later page read afresh: leads written since the earlier pages may have shifted. */
  afresh?: true;
}

export async function pagedFind(
  selection: Selection,
  page: number,
  ctx: LeadsContext,
  now: () => number = Date.now,
): Promise<PagedFound> {
  const byKey = kept.get(ctx.moco) ?? new Map<string, Kept>();
  kept.set(ctx.moco, byKey);
  const key = keyOf(selection, ctx.today());
  const held = byKey.get(key);
  if (page > 1 && held && now() - held.at <= SNAPSHOT_TTL_MS) {
    return { found: held.found, keptSince: new Date(held.at).toISOString() };
  }
  const found = await findLeads(selection, ctx);
  byKey.delete(key);
  // What later pages need: the matches and the counts, not every lead the scan read.
  byKey.set(key, { found: { ...found, scan: { ...found.scan, leads: [] } }, at: now() });
  for (const old of byKey.keys()) {
    if (byKey.size <= MAX_KEPT) break;
    byKey.delete(old);
  }
  return page > 1 ? { found, afresh: true } : { found };
}
