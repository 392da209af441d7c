import { apiPath, type MocoClient } from "../moco/client.js";
import { MocoError } from "../moco/errors.js";
import { IgnoredFilterError } from "../moco/leads.js";
import { countLeads, PAGE_SIZE, page, type SyncReadOptions, syncCall, timestamp } from "./sync-reads.js";

/**
 * Which leads of the mirror MOCO deleted. Deletions leave no trace in updated_after, so counts and ids
 * find the candidates (findDeleted), and a lead is recorded as deleted only once MOCO answers 404 for
 * it by id (GET /deals/{id}): an answer to a list request that left it out proves nothing alone, as
 * MOCO may ignore a filter or page unevenly.
 */
export interface MirrorEntry {
  id: number;
  /** Epoch ms of the lead's updated_at. */
  updatedMs: number;
}

export interface Deletions {
  /** Leads MOCO confirmed deleted (404 by id). */
  deleted: number[];
  /** Why some leads MOCO no longer counts were not confirmed (they stay in the mirror); absent when none. */
  unconfirmed?: string;
}

/** A probe of MOCO's count reads at most this many ids per request (URL length stays ~1 kB). */
const ID_CHUNK = 100;
/** At most this many leads are confirmed deleted one by one in one sync; the next sync goes on. */
export const MAX_CONFIRM = 100;

/** Candidates confirmed so far in one sync, and what could not be. */
class Confirmations {
  readonly deleted: number[] = [];
  /** Candidates left unasked (the per-sync cap), and ones MOCO still has when asked by id. */
  skipped = 0;
  present = 0;
  ignored: string | undefined;

  constructor(
    private readonly moco: MocoClient,
    private readonly options: SyncReadOptions,
  ) {}

  /** Asks MOCO for each candidate by id: a 404 is a deletion; a lead it returns is not. */
  async confirm(ids: readonly number[]): Promise<void> {
    for (const id of ids) {
      if (this.deleted.length + this.present >= MAX_CONFIRM) {
        this.skipped++;
        continue;
      }
      try {
        await this.moco.get(apiPath("deals", id), syncCall(this.options));
        this.present++;
      } catch (error) {
        if (!(error instanceof MocoError && error.kind === "not_found")) throw error;
        this.deleted.push(id);
      } finally {
        this.options.onRequest?.("confirm");
      }
    }
  }

  result(): Deletions {
    const notes: string[] = [];
    if (this.ignored) notes.push(`${this.ignored}; no lead was recorded as deleted from it`);
    if (this.present > 0)
      notes.push(
        `${this.present} lead(s) MOCO left out of an answer by ids still exist when asked one by one`,
      );
    if (this.skipped > 0)
      notes.push(
        `${this.skipped} more lead(s) MOCO did not list wait for the next sync to be confirmed (at most ${MAX_CONFIRM} are asked for one by one per sync)`,
      );
    return { deleted: this.deleted, ...(notes.length > 0 ? { unconfirmed: notes.join("; ") } : {}) };
  }
}

/** Which of `ids` MOCO lists when asked by id: one request per 100 ids, each answer checked. */
async function listedIds(
  moco: MocoClient,
  ids: readonly number[],
  options: SyncReadOptions,
): Promise<Set<number>> {
  const found = new Set<number>();
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const result = await page(moco, { ids: chunk, per_page: PAGE_SIZE }, options, "ids");
    for (const lead of result.leads) found.add(lead.id);
  }
  return found;
}

/**
 * The leads of the mirror MOCO deleted, given the mirror (brought up to date by a delta) as id →
 * updated_at, and MOCO's live count (null: MOCO sent none, so every id is asked for). An answer that
 * ignores the ids filter stops the search: no deletion is taken from it, and `unconfirmed` says why.
 */
export async function findDeletions(
  moco: MocoClient,
  updated: ReadonlyMap<number, number>,
  live: number | null,
  options: SyncReadOptions,
): Promise<Deletions> {
  const confirmations = new Confirmations(moco, options);
  const entries = [...updated].map(([id, updatedMs]) => ({ id, updatedMs }));
  try {
    if (live === null) await missing(entries, moco, options, confirmations);
    else await findDeleted(moco, entries, live, options, confirmations);
  } catch (error) {
    if (!(error instanceof IgnoredFilterError)) throw error;
    confirmations.ignored = error.message;
  }
  return confirmations.result();
}

/**
 * Narrows the leads deleted in MOCO down to slices of at most 100, given the mirror and MOCO's live
 * count. X-Total of updated_after=T counts MOCO's leads changed after T, the mirror knows its own, and
 * the difference is the number deleted among them. Bisecting the mirror by updated_at narrows each
 * deficit down to a slice whose ids one request checks; the leads MOCO did not list are then asked for
 * one by one. Cost for d deletions among N leads: about d × log2(N/100) one-lead count requests, d id
 * checks and d confirmations (1 in 20,000: ≤ 10 requests); when that would exceed reading every id,
 * all ids are checked instead (N/100 requests). A count disturbed by a concurrent edit can make this
 * find fewer deletions, never a wrong one.
 */
async function findDeleted(
  moco: MocoClient,
  mirror: readonly MirrorEntry[],
  liveTotal: number,
  options: SyncReadOptions,
  confirmations: Confirmations,
): Promise<void> {
  const entries = [...mirror].sort((a, b) => a.updatedMs - b.updatedMs || a.id - b.id);
  const n = entries.length;
  const deficit = n - liveTotal;
  if (deficit <= 0) return;
  const slices = Math.ceil(n / ID_CHUNK);
  if (deficit * Math.ceil(Math.log2(Math.max(2, slices))) >= slices)
    return missing(entries, moco, options, confirmations);
  // deficitFrom(i): deleted leads among entries[i..n). deficitFrom(0) = deficit, deficitFrom(n) = 0.
  const visit = async (lo: number, hi: number, fromLo: number, fromHi: number): Promise<void> => {
    if (fromLo - fromHi <= 0) return;
    const mid = hi - lo > ID_CHUNK ? splitPoint(entries, lo, hi) : undefined;
    if (mid === undefined) return missing(entries.slice(lo, hi), moco, options, confirmations);
    const after = await countLeads(moco, options, timestamp((entries[mid] as MirrorEntry).updatedMs - 1000));
    if (after === null) return missing(entries.slice(lo, hi), moco, options, confirmations);
    const fromMid = Math.min(fromLo, Math.max(fromHi, n - mid - after));
    await visit(lo, mid, fromLo, fromMid);
    await visit(mid, hi, fromMid, fromHi);
  };
  await visit(0, n, deficit, 0);
}

async function missing(
  entries: readonly MirrorEntry[],
  moco: MocoClient,
  options: SyncReadOptions,
  confirmations: Confirmations,
): Promise<void> {
  const ids = entries.map((e) => e.id);
  const found = await listedIds(moco, ids, options);
  await confirmations.confirm(ids.filter((id) => !found.has(id)));
}

/**
 * An index near the middle of [lo, hi) where the lead before is at least 2 s older: updated_after =
 * (that lead's second - 1 s) then separates the two halves whether MOCO compares > or >=, and whatever
 * sub-second precision it keeps. Undefined when no such gap exists.
 */
function splitPoint(entries: readonly MirrorEntry[], lo: number, hi: number): number | undefined {
  const middle = Math.floor((lo + hi) / 2);
  const gap = (i: number) =>
    i > lo &&
    i < hi &&
    (entries[i] as MirrorEntry).updatedMs - (entries[i - 1] as MirrorEntry).updatedMs >= 2000;
  for (let d = 0; middle - d > lo || middle + d < hi; d++) {
    if (gap(middle - d)) return middle - d;
    if (gap(middle + d)) return middle + d;
  }
  return undefined;
}
