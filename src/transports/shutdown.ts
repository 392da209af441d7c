import { ErrorCode, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";
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

/** A request read from the client and not answered yet. */
export interface OpenRequest {
  id: RequestId;
  method: string;
  /** For tools/call: the tool's name. */
  tool?: string;
}

/**
 * The answer to a request that did not finish before the session ended (the grace period ran out and
 * the call did not end even when the MOCO pool closed), with its warning on stderr. A tool call gets an
 * error result: a write may have reached MOCO, so it says so, and what to do before repeating it.
 */
export function stoppedBeforeAnswer(request: OpenRequest, why: string): JSONRPCMessage {
  const what = request.tool ?? request.method;
  const text =
    `moco-leads-mcp stopped (${why}) before ${what} finished. If it was changing MOCO, the change MAY HAVE BEEN ` +
    "APPLIED (created, changed or deleted) even though no answer confirmed it: check with get_lead or list_leads before trying again.";
  log(
    "warn",
    `shutdown: ${what} (request ${String(request.id)}) did not finish in time; answered with an error`,
  );
  if (request.method === "tools/call") {
    return { jsonrpc: "2.0", id: request.id, result: { isError: true, content: [{ type: "text", text }] } };
  }
  return { jsonrpc: "2.0", id: request.id, error: { code: ErrorCode.InternalError, message: text } };
}

/** The answer to a request that arrives once the session is ending: refused, nothing was done. */
export const refusedWhileStopping = (id: RequestId): JSONRPCMessage => ({
  jsonrpc: "2.0",
  id,
  error: {
    code: ErrorCode.InternalError,
    message: "moco-leads-mcp is shutting down; this request was not carried out",
  },
});
