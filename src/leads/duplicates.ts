import { InputError } from "../errors.js";
import { listLeads } from "../moco/leads.js";
import { type ScanResult, scanLeads } from "../moco/scan.js";
import type { Lead } from "../moco/schemas.js";
import { StoreUnavailableError } from "../store/types.js";
import { fold, quoted } from "../text.js";
import type { LeadsContext } from "./context.js";
import { scanOfMirror } from "./find.js";

/**
 * The duplicate check of create_lead, before the POST: an open lead of the same company (without a
 * company: an open lead without one) with a similar name stops the create and is named (allow_duplicate
 * goes ahead). A check that could not read every such open lead stops it too, saying so: no lookalike
 * found is then no proof of none.
 */

// Short words and fillers carry no meaning of their own in a lead name.
const FILLERS = new Set(["und", "and", "the", "der", "die", "das", "fur", "for", "mit", "von", "des"]);

/** The words of a name that tell leads apart: folded, 3+ letters or digits, no fillers. */
export function nameWords(name: string): Set<string> {
  return new Set(
    fold(name)
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length >= 3 && !FILLERS.has(w)),
  );
}

/**
 * Similar: after folding case and accents, and leaving out the words of the company's own name (every
 * lead of the company may carry it), the words of one name are all in the other, or they share at least
 * half of all their words (Jaccard ≥ 0.5). Two names that are nothing but the company name are similar.
 */
export function similarNames(a: string, b: string, companyName = ""): boolean {
  const ignore = nameWords(companyName);
  const without = (s: string) => new Set([...nameWords(s)].filter((w) => !ignore.has(w)));
  const wa = without(a);
  const wb = without(b);
  if (wa.size === 0 || wb.size === 0) {
    // Nothing left on both sides: similar when both were only the company's name, or are equal.
    if (wa.size !== wb.size) return false;
    return fold(a) === fold(b) || (nameWords(a).size > 0 && nameWords(b).size > 0);
  }
  const shared = [...wa].filter((w) => wb.has(w)).length;
  if (shared === wa.size || shared === wb.size) return true;
  return shared / (wa.size + wb.size - shared) >= 0.5;
}

const OPEN = ["pending", "potential"] as const;
const PAGE = 100;

/** What the check saw: the lookalikes, and whether every open lead of the company was read. */
export interface Lookalikes {
  found: Lead[];
  /** Open leads of the company read, and how many MOCO holds (null: unknown, more than read). */
  read: number;
  total: number | null;
  complete: boolean;
}

/**
 * The company's open leads (one page of 100 per status, in parallel) whose name is similar. A status
 * with more than a page is not read further (the check costs two requests): `complete` says so.
 */
export async function openLookalikes(
  name: string,
  companyId: number,
  ctx: Pick<LeadsContext, "moco" | "call">,
): Promise<Lookalikes> {
  // Both reads end before the check does (a retry of one must not outlive the tool call).
  const settled = await Promise.allSettled(
    OPEN.map((status) => listLeads(ctx.moco, { company_id: companyId, status, per_page: PAGE }, ctx.call)),
  );
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  const pages = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  // A page holding a lead of another company or status: MOCO ignored a filter, so the rest is unknown.
  const ignored = pages.some((p, i) =>
    p.leads.some((l) => (l.company !== null && l.company.id !== companyId) || l.status !== OPEN[i]),
  );
  const whole = (p: (typeof pages)[number]) =>
    p.leads.length < PAGE || (p.page.total !== null && p.page.total <= p.leads.length);
  const complete = !ignored && pages.every(whole);
  const open = pages.flatMap((p, i) => p.leads.filter((l) => l.status === OPEN[i]));
  const totals = pages.map((p) => p.page.total);
  const total = complete
    ? open.length
    : ignored || totals.some((t) => t === null)
      ? null
      : totals.reduce<number>((a, b) => a + (b ?? 0), 0);
  return {
    found: open
      .filter((l) => l.company === null || l.company.id === companyId)
      .filter((l) => similarNames(name, l.name, l.company?.name ?? ""))
      .sort((x, y) => x.id - y.id),
    read: open.length,
    total,
    complete,
  };
}

/**
 * The open leads without a company whose name is similar. MOCO's list has no name filter and no
 * "without company" filter, so every open lead is read: from the lead mirror when there is one (synced
 * first when older than its freshness window), else by a scan of both open statuses up to the scan cap.
 * `complete` is false when the mirror's latest sync or the scan could not read them all.
 */
export async function openLookalikesWithoutCompany(name: string, ctx: LeadsContext): Promise<Lookalikes> {
  const scan = (await openFromMirror(ctx)) ?? (await openFromMoco(ctx));
  const open = scan.leads.filter((l) => l.company === null && (OPEN as readonly string[]).includes(l.status));
  return {
    found: open.filter((l) => similarNames(name, l.name)).sort((x, y) => x.id - y.id),
    read: open.length,
    total: scan.complete ? open.length : null,
    complete: scan.complete,
  };
}

async function openFromMirror(ctx: LeadsContext): Promise<ScanResult | undefined> {
  const mirror = await ctx.mirror();
  if (!mirror?.available) return undefined;
  try {
    const read = await mirror.read({ signal: ctx.call.signal });
    return scanOfMirror(read, [...read.leads]);
  } catch (error) {
    if (error instanceof StoreUnavailableError) return undefined;
    throw error;
  }
}

const openFromMoco = (ctx: LeadsContext) =>
  scanLeads(
    ctx.moco,
    OPEN.map((status) => ({ status })),
    { ...ctx.call, maxPages: ctx.maxScanPages },
  );

/** One lookalike as the refusal names it: id, name, company, status, owner. */
export const lookalikeLine = (l: Lead) =>
  `lead ${l.id} ${quoted(l.name)} (${l.status}, company ${quoted(l.company?.name ?? "none")}, owner ${quoted(l.user ? `${l.user.firstname} ${l.user.lastname}`.trim() : "none")})`;

/**
 * The duplicate check of create_lead, before anything is written: throws an InputError naming the
 * open lookalikes of the company (or, without a company, the open lookalikes without one), or saying
 * the check could not see every such open lead (a failed read included). Returns when there is none.
 */
export async function refuseDuplicates(
  name: string,
  companyId: number | undefined,
  ctx: LeadsContext,
): Promise<void> {
  const of = companyId === undefined ? "without a company" : `of company ${companyId}`;
  let seen: Lookalikes;
  try {
    seen =
      companyId === undefined
        ? await openLookalikesWithoutCompany(name, ctx)
        : await openLookalikes(name, companyId, ctx);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new InputError(
      `Nothing was created: the check for an open lead ${of} with a similar name failed (${why})`,
      {},
      `${RETRY} To create it without the check, pass allow_duplicate: true.`,
    );
  }
  const whose = companyId === undefined ? "open leads without a company" : "open leads of the company";
  const unread = seen.complete
    ? ""
    : `. Only ${seen.read}${seen.total === null ? "" : ` of ${seen.total}`} ${whose} were checked, so others may be alike too`;
  if (seen.found.length > 0) {
    const lines = seen.found.map(lookalikeLine);
    const count = seen.found.length === 1 ? "an open lead" : `${seen.found.length} open leads`;
    const holder =
      companyId === undefined
        ? `there ${seen.found.length === 1 ? "is" : "are"} already ${count} without a company`
        : `company ${companyId} already has ${count}`;
    throw new InputError(
      `Nothing was created: ${holder} with a name like ${quoted(name)}: ${lines.join("; ")}${unread}`,
      { name: lines },
      `If ${seen.found.length === 1 ? "it" : "one of them"} is the lead meant, change it with update_lead (its id). Only if the human wants another lead, call create_lead again with allow_duplicate: true.`,
    );
  }
  if (!seen.complete) {
    const look =
      companyId === undefined ? "status open, query" : `company_id ${companyId}, status open, query`;
    throw new InputError(
      `Nothing was created: no lead with a similar name was found, but the check is incomplete${unread}`,
      {},
      `Look with list_leads (${look}) for one like ${quoted(name)}; if there is none, call create_lead again with allow_duplicate: true.`,
    );
  }
}

const RETRY = "Call again in a moment.";
