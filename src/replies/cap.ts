import type { Lead } from "../moco/schemas.js";

/**
 * One lead within a reply's budget: a very long `info` comes in slices (with where to read on), and
 * custom fields beyond a few hundred, or with very long values, are left out with a count. MOCO's
 * values are kept exactly where they are shown.
 */
export const INFO_SLICE = 8_000;
const MAX_FIELDS = 200;
const MAX_VALUE = 2_000;

export function capLead(lead: Lead, infoFrom = 0): { lead: Lead; notes: string[] } {
  const notes: string[] = [];
  let out = lead;
  const info = lead.info ?? "";
  if (infoFrom > 0 || info.length > INFO_SLICE) {
    const end = Math.min(info.length, infoFrom + INFO_SLICE);
    out = { ...out, info: info.slice(infoFrom, end) };
    const rest = end < info.length ? ` For the rest call get_lead with info_from ${end}.` : "";
    notes.push(`info: characters ${infoFrom}–${end} of ${info.length} shown.${rest}`);
  }
  const entries = Object.entries(lead.custom_properties);
  const long = (v: unknown) => JSON.stringify(v ?? "").length > MAX_VALUE;
  const kept = entries.filter(([, v]) => !long(v)).slice(0, MAX_FIELDS);
  if (kept.length < entries.length) {
    out = { ...out, custom_properties: Object.fromEntries(kept) };
    notes.push(
      `custom_properties: ${entries.length - kept.length} of ${entries.length} fields left out (too many or too long); MOCO shows them all.`,
    );
  }
  return { lead: out, notes };
}
