import { MocoError } from "./moco/errors.js";

/**
 * Turns any failure into what the model reads: what happened and what to do next. MOCO's own
 * validation messages are passed on verbatim, since they name the fields to fix.
 */
/** Arguments that passed the schema but cannot be acted on (e.g. a name matching no record). */
export class InputError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
    this.name = "InputError";
  }
}

export interface ErrorReport {
  text: string;
  data: {
    kind: string;
    message: string;
    status?: number;
    fields?: Record<string, string[]>;
    retry_after_seconds?: number;
    may_have_succeeded?: boolean;
  };
}

export function describeError(
  error: unknown,
  tool: string,
  args: Record<string, unknown>,
  startedAt: Date,
): ErrorReport {
  if (error instanceof InputError) {
    return {
      text: `${error.message}. Pick one of the candidates (or look names up with get_lead_options) and call ${tool} again.`,
      data: { kind: "invalid_input", message: error.message, fields: error.fields },
    };
  }
  if (!(error instanceof MocoError)) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      text: `Internal error in moco-leads-mcp while running ${tool}: ${message}. Nothing more is known; this is a bug worth reporting.`,
      data: { kind: "internal", message },
    };
  }
  const what = typeof args.id === "number" ? `Lead ${args.id}` : "A record this call refers to";
  let next: string;
  switch (error.kind) {
    case "not_found":
      next = `${what} does not exist in MOCO (it may have been deleted). Use list_leads to find valid ids.`;
      break;
    case "validation":
      next = `Fix the fields MOCO named and call ${tool} again.`;
      break;
    case "bad_request":
      next = "Check the arguments against the tool's schema and try again.";
      break;
    case "auth":
      next =
        "Check MOCO_API_KEY (MOCO: your profile → Integrations) and that MOCO_SUBDOMAIN names the account the key belongs to.";
      break;
    case "forbidden":
      next =
        "The API key lacks the permission for this: a read-only key cannot write, and some data needs more rights in MOCO.";
      break;
    case "rate_limited":
      next = `Wait ${error.retryAfterSeconds ?? 60} s before calling MOCO again; fewer, larger requests (per_page up to 100) help.`;
      break;
    case "server":
      next = "This is a fault on MOCO's side; retry in a minute. If it persists, check the values sent.";
      break;
    case "timeout":
    case "network":
      next = "MOCO is unreachable or slow right now; retry in a minute.";
      break;
    default:
      next = "";
  }
  if (error.mayHaveSucceeded) next = unsureOutcome(tool, args, startedAt);
  const data: ErrorReport["data"] = { kind: error.kind, message: error.message };
  if (error.status !== undefined) data.status = error.status;
  if (Object.keys(error.fields).length > 0) data.fields = error.fields;
  if (error.retryAfterSeconds !== undefined) data.retry_after_seconds = error.retryAfterSeconds;
  if (error.mayHaveSucceeded) data.may_have_succeeded = true;
  return { text: `${error.message}. ${next}`.trim(), data };
}

/** What to do when a write may have reached MOCO although no answer came back. */
function unsureOutcome(tool: string, args: Record<string, unknown>, startedAt: Date): string {
  const lead = typeof args.id === "number" ? `lead ${args.id}` : "the lead";
  switch (tool) {
    case "create_lead": {
      const since = new Date(startedAt.getTime() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      return (
        `The lead MAY HAVE BEEN CREATED even though no answer arrived. Do not simply retry: first call list_leads with updated_after="${since}" ` +
        "and look for it; create it again only if it is not there."
      );
    }
    case "add_lead_note":
      return `The note MAY HAVE BEEN ADDED even though no answer arrived. Check with get_lead (include_notes: true) on ${lead} before adding it again.`;
    case "delete_lead":
      return `${lead} MAY ALREADY BE DELETED even though no answer arrived. Check with get_lead: "does not exist" means it is gone.`;
    default:
      return `The change MAY HAVE BEEN APPLIED even though no answer arrived. Check ${lead} with get_lead before trying again.`;
  }
}
