import { listLeads } from "../moco/leads.js";
import type { Lead } from "../moco/schemas.js";
import { fold, quoted } from "../text.js";
import type { LeadsContext } from "./context.js";

/**
 * The duplicate check of create_lead: an open lead of the same company with a similar name is named
 * in a warning. It is advice, never a refusal: a failed check becomes a warning too.
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

/** The company's open leads (one page of 100 per status, in parallel) whose name is similar. */
export async function openLookalikes(
  name: string,
  companyId: number,
  ctx: Pick<LeadsContext, "moco" | "call">,
): Promise<Lead[]> {
  // Both reads end before the check does (a retry of one must not outlive the tool call).
  const settled = await Promise.allSettled(
    OPEN.map((status) => listLeads(ctx.moco, { company_id: companyId, status, per_page: 100 }, ctx.call)),
  );
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled
    .flatMap((r) => (r.status === "fulfilled" ? r.value.leads : []))
    .filter((l) => similarNames(name, l.name, l.company?.name ?? ""))
    .sort((x, y) => x.id - y.id);
}

/** The warnings for create_lead; a check that failed says so instead of blocking the create. */
export async function duplicateWarnings(
  name: string,
  companyId: number | undefined,
  ctx: Pick<LeadsContext, "moco" | "call">,
): Promise<string[]> {
  if (companyId === undefined) return [];
  try {
    const found = await openLookalikes(name, companyId, ctx);
    return found.map(
      (l) => `possible duplicate: lead ${l.id} ${quoted(l.name)} (${l.status}) of the same company`,
    );
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return [`could not check for duplicates of the same company (${why})`];
  }
}
