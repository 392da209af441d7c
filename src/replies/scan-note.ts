import type { ScanGap, ScanResult } from "../moco/scan.js";

/**
 * One sentence on what was read and what matched; when that is not everything, why (the page cap,
 * MOCO's pages short of its own count, its list moving while read), and the next step for that cause.
 */
export function scanNote(scan: ScanResult, matched: number, maxPages: number, asOf?: string): string {
  const note = readNote(scan, matched, maxPages, asOf);
  return scan.empty && matched === 0 ? `${note} ${scan.empty}` : note;
}

function readNote(scan: ScanResult, matched: number, maxPages: number, asOf?: string): string {
  const gap = scan.gap ?? (scan.complete ? undefined : { kind: "cap" as const, cap: maxPages });
  if (asOf !== undefined) {
    const age = Math.max(0, Math.round((Date.now() - Date.parse(asOf)) / 1000));
    const synced = scan.pages > 0 ? `, after a sync of ${scan.pages} MOCO requests` : "";
    const from = `from the lead mirror as of ${asOf.slice(11, 19)} UTC (${age} s ago${synced})`;
    if (!gap) return `Complete: ${from}, ${matched} match.`;
    return `INCOMPLETE: ${from}, ${matched} match, but ${mirrorGap(gap)}`;
  }
  const read = `${scan.scanned} leads read from MOCO (${scan.pages} request${scan.pages === 1 ? "" : "s"}), ${matched} match`;
  if (!gap) return `Complete: ${read}.`;
  const only = "figures cover only the leads read.";
  switch (gap.kind) {
    case "cap": {
      const of = scan.total === null ? " leads" : ` of the ${scan.total} leads MOCO selected`;
      return (
        `INCOMPLETE: only ${scan.scanned}${of} were read before the page cap (${gap.cap} pages of 100, ` +
        `MOCO_MAX_SCAN_PAGES), ${matched} of them match; ${only} ` +
        "Narrow with status, tags, company_id, closed or updated_after (MOCO applies those itself), or turn the lead mirror on (MOCO_STORE)."
      );
    }
    case "count":
      return gap.read < gap.counted
        ? `INCOMPLETE: ${read}, but MOCO counts ${gap.counted} leads for this selection (X-Total) and its pages held only ${gap.read}, ` +
            `though every page was read (${scan.pages} of at most ${maxPages}, so not the page cap): ${gap.counted - gap.read} ` +
            `${missing(gap.counted - gap.read)}; ${only} Calling again will likely give the same; a narrower selection by ` +
            "status, tags, company_id, closed or updated_after (MOCO applies those itself) that fits in one page of 100 is read whole."
        : `INCOMPLETE: ${read}, but MOCO's pages held ${gap.read} different leads, more than the ${gap.counted} it counts (X-Total): ` +
            `up to ${leads(gap.read - gap.counted)} may no longer exist in MOCO; ${only} Call again in a moment; get_lead confirms a single lead.`;
    case "syncing":
      return `INCOMPLETE: ${read}, but ${mirrorGap(gap)}`;
    case "moved":
      return (
        `INCOMPLETE: ${read}, but MOCO's leads changed while they were read (${moved(gap.drift)}) and reading them again ` +
        `did not settle it: up to ${leads(uncertainty(gap))} may be missing or no longer exist; ${only} Call again in a moment, once the changes in MOCO are done.`
      );
  }
}

const missing = (n: number) => (n === 1 ? "is missing" : "are missing");
const leads = (n: number) => `${n} lead${n === 1 ? "" : "s"}`;

/** "its count went from 230 to 229, 1 lead came twice" */
function moved(drift: Extract<ScanGap, { kind: "moved" }>["drift"]): string {
  const parts: string[] = [];
  if (drift.from !== null && drift.to !== null && drift.from !== drift.to)
    parts.push(`its count went from ${drift.from} to ${drift.to}`);
  if (drift.repeated > 0) parts.push(`${drift.repeated} lead${drift.repeated === 1 ? "" : "s"} came twice`);
  return parts.join(", ") || "its count changed between pages";
}

/** How many leads a moving list may have cost: at least one, as many as its count moved or leads repeated. */
function uncertainty(gap: Extract<ScanGap, { kind: "moved" }>): number {
  const { from, to, repeated } = gap.drift;
  const shift = from !== null && to !== null ? Math.abs(from - to) : 0;
  const off = gap.counted === null ? 0 : Math.abs(gap.read - gap.counted);
  return Math.max(1, shift, repeated, off);
}

/** What a mirror whose latest sync did not agree with MOCO lacks, and what to do. */
function mirrorGap(gap: ScanGap): string {
  const direct =
    "list_leads with only MOCO's own filters (status, tags, company_id, closed, ids, updated_after) asks MOCO page by page instead.";
  switch (gap.kind) {
    case "count":
      return gap.read < gap.counted
        ? `the mirror holds only ${gap.read} of the ${gap.counted} leads MOCO counts (X-Total): ${gap.counted - gap.read} ` +
            `${missing(gap.counted - gap.read)}${gap.reread ? ", as MOCO's pages came back short of its own count even on a second full read" : ""}; figures cover only the leads held. ` +
            `The next sync tries again; ${direct}`
        : `the mirror holds ${gap.read} leads, more than the ${gap.counted} MOCO counts (X-Total): up to ${leads(gap.read - gap.counted)} may no longer exist in MOCO (not confirmed deleted${gap.why ? `: ${gap.why}` : ""}). ` +
            `The next sync tries again; get_lead confirms a single lead.`;
    case "moved":
      return (
        `MOCO's leads changed while the mirror read them (${moved(gap.drift)}), on every read: the mirror holds ${gap.read} leads` +
        `${gap.counted === null ? "" : ` while MOCO counts ${gap.counted}`}, and up to ${leads(uncertainty(gap))} may be missing or no longer exist; figures cover only the leads held. ` +
        "Call again in a moment, once the changes in MOCO are done."
      );
    case "cap":
      return "not every lead could be read; figures cover only the leads held.";
    case "syncing": {
      const eta = gap.etaMs === undefined ? "" : `, complete in about ${duration(gap.etaMs)}`;
      return gap.first
        ? `${gap.read}${gap.counted === null ? "" : ` of ${gap.counted}`} leads read so far: the mirror's first sync of this account ` +
            `takes longer than a call may wait, and the rest syncs in the background${eta}; figures cover only the leads read. Call again then for every lead.`
        : `a sync bringing the mirror up to date takes longer than a call may wait and goes on in the background${eta}: ` +
            "figures are the mirror as of its last sync, without what changed in MOCO since. Call again then for the latest.";
    }
  }
}

/** "40 s", "4 min" */
const duration = (ms: number) =>
  ms < 120_000 ? `${Math.max(1, Math.ceil(ms / 1000))} s` : `${Math.ceil(ms / 60_000)} min`;
