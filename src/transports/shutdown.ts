import { log } from "../log.js";

/**
 * Writes that were sent to MOCO but not answered before the process stopped: MOCO may have carried
 * them out. Each gets one warning with what may have happened and what to check before repeating it.
 */
export interface UnfinishedWrite {
  method: string;
  path: string;
  /** Per-request credentials: the tenant's hash prefix, as in the access log. */
  tenant?: string;
}

const WHAT: Record<string, [string, string]> = {
  POST: [
    "it may have been created",
    "Look for it (list_leads; get_lead with include_notes for a note) before creating it again.",
  ],
  PUT: ["the change may have been applied", "Read the lead with get_lead before repeating the change."],
  DELETE: ["it may have been deleted", 'Check with get_lead: "does not exist" means it is gone.'],
};

export function reportUnfinished(writes: readonly UnfinishedWrite[]): void {
  for (const w of writes) {
    const [effect, next] = WHAT[w.method] ?? [
      "it may have been carried out",
      "Check in MOCO before repeating it.",
    ];
    log(
      "warn",
      `shutdown: ${w.method} ${w.path} was sent to MOCO but its answer did not arrive in time: ${effect}. ${next}`,
      w.tenant ? { tenant: w.tenant } : undefined,
    );
  }
}
