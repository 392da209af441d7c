import type { ScanResult } from "../moco/scan.js";
import { fullName, type Lead } from "../moco/schemas.js";
import { fold } from "../text.js";
import { REFS } from "./refs.js";

/**
 * The token budget of list-style results. A compact lead carries what a model needs to act on it
 * (its full form is one get_lead away); empty values are left out rather than sent as null.
 */
export interface CompactLead {
  id: number;
  name: string;
  status: string;
  money: number;
  currency: string;
  stage?: string;
  probability?: number;
  user?: string;
  company?: string;
  reminder_date?: string;
  closed_on?: string;
  tags?: string[];
}

export const userName = (lead: Lead) => REFS.user.of(lead)?.name ?? null;

export function compact(lead: Lead): CompactLead {
  const out: CompactLead = {
    id: lead.id,
    name: lead.name,
    status: lead.status,
    money: lead.money,
    currency: lead.currency,
  };
  if (lead.category) {
    out.stage = lead.category.name;
    out.probability = lead.category.probability;
  }
  const user = userName(lead);
  if (user) out.user = user;
  if (lead.company) out.company = lead.company.name;
  if (lead.reminder_date) out.reminder_date = lead.reminder_date;
  if (lead.closed_on) out.closed_on = lead.closed_on;
  if (lead.tags.length > 0) out.tags = lead.tags;
  return out;
}

/**
 * Hard cap on the JSON of one reply's lead list: about 8,000 tokens, a third of what Claude Code accepts
 * from a tool by default. 100 compact leads fit; 100 full ones do not.
 */
export const REPLY_CAP_BYTES = 30_000;

/** The longest prefix of `items` whose JSON array stays within `cap` bytes (always at least one item). */
export function fitToCap<T>(items: readonly T[], cap = REPLY_CAP_BYTES): T[] {
  let size = 2;
  let n = 0;
  for (const item of items) {
    size += Buffer.byteLength(JSON.stringify(item)) + (n > 0 ? 1 : 0);
    if (size > cap && n > 0) break;
    n++;
  }
  return items.slice(0, n);
}

type Ref = { id: number; names: string[] } | null;

/**
 * Leads whose reference (user, stage) is `query`: an id, or a name. A name matching some reference
 * exactly (full, first or last name; case and accents aside) wins over mere substrings, so "Nicola"
 * means Nicola and "Angebot" means every "Angebot …" stage.
 */
export function matchRef(leads: readonly Lead[], query: string | number, ref: (lead: Lead) => Ref): Lead[] {
  const q = String(query).trim();
  if (/^\d+$/.test(q)) return leads.filter((l) => ref(l)?.id === Number(q));
  const f = fold(q);
  const exact = leads.filter((l) => ref(l)?.names.some((n) => fold(n) === f));
  return exact.length > 0 ? exact : leads.filter((l) => ref(l)?.names.some((n) => fold(n).includes(f)));
}

export const userRef = (lead: Lead): Ref =>
  lead.user
    ? { id: lead.user.id, names: [fullName(lead.user), lead.user.firstname, lead.user.lastname] }
    : null;
export const stageRef = (lead: Lead): Ref => {
  const stage = REFS.deal_category.of(lead);
  return stage && { id: stage.id, names: [stage.name] };
};

/** The scan's honest footprint, for the structured result. */
export const scanData = (scan: ScanResult) => ({
  scanned: scan.scanned,
  total: scan.total,
  complete: scan.complete,
});

/** One sentence on what was read, and what to do when the page cap cut the scan short. */
export function scanNote(scan: ScanResult, maxPages: number): string {
  const of = scan.total === null ? "" : ` of ${scan.total}`;
  if (scan.complete) return `Scanned all ${scan.scanned}${of} matching leads (${scan.pages} MOCO requests).`;
  return (
    `INCOMPLETE: scanned ${scan.scanned}${of} matching leads, then stopped at the page cap (${maxPages} pages of 100, ` +
    "MOCO_MAX_SCAN_PAGES); figures cover only the scanned leads. Narrow with MOCO filters (status, tags, company_id, closed_from/to, updated_after)."
  );
}
