import { MocoError, type MocoErrorKind } from "./moco/errors.js";

/**
 * Turns any failure into what the model reads: what happened and what to do next. MOCO's own
 * validation messages are passed on verbatim, since they name the fields to fix. Knows no tool by
 * name: a tool declares its own next step for a write that may have landed, an input error its own hint.
 */

/** Arguments that passed the schema but cannot be acted on (e.g. a name matching no record). */
export class InputError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, string[]> = {},
    /** The next step, e.g. "Pick one of the candidates and call again." */
    readonly hint = "",
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

export interface ErrorSubject {
  /** The lead the call refers to, if any. */
  id?: number;
  /** The tool's next step when a write may have reached MOCO without an answer. */
  uncertain?: () => string;
}

/** The next step per kind of MOCO failure. */
const NEXT: Record<MocoErrorKind, (error: MocoError, what: string) => string> = {
  not_found: (_, what) =>
    `${what} does not exist in MOCO (it may have been deleted). Use list_leads to find valid ids.`,
  validation: () => "Fix the fields MOCO named and call again.",
  bad_request: () => "Check the arguments against the tool's schema and try again.",
  auth: () =>
    "Check MOCO_API_KEY (MOCO: your profile → Integrations) and that MOCO_SUBDOMAIN names the account the key belongs to.",
  forbidden: () =>
    "The API key lacks the permission for this: a read-only key cannot write, and some data needs more rights in MOCO.",
  rate_limited: (e) =>
    `Wait ${e.retryAfterSeconds ?? 60} s before calling MOCO again; fewer, larger requests (per_page up to 100) help.`,
  server: () => "This is a fault on MOCO's side; retry in a minute. If it persists, check the values sent.",
  timeout: () => "MOCO is unreachable or slow right now; retry in a minute.",
  network: () => "MOCO is unreachable or slow right now; retry in a minute.",
  redirect: () => "MOCO answers its API without redirects; check MOCO_SUBDOMAIN / MOCO_BASE_URL.",
  cancelled: () => "",
};

/** JSON-RPC error codes for resources/read, by kind: one table, so resources and tools agree. */
export const RESOURCE_ERROR_CODE: Partial<Record<MocoErrorKind | "invalid_input", number>> = {
  not_found: -32002,
  invalid_input: -32602,
};

export function describeError(error: unknown, subject: ErrorSubject = {}): ErrorReport {
  if (error instanceof InputError) {
    return {
      text: `${error.message}.${error.hint ? ` ${error.hint}` : ""}`,
      data: { kind: "invalid_input", message: error.message, fields: error.fields },
    };
  }
  if (!(error instanceof MocoError)) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      text: `Internal error in moco-leads-mcp: ${message}. Nothing more is known; this is a bug worth reporting.`,
      data: { kind: "internal", message },
    };
  }
  const what = subject.id === undefined ? "A record this call refers to" : `Lead ${subject.id}`;
  const unsure = error.mayHaveSucceeded && subject.uncertain !== undefined;
  const next = unsure
    ? (subject.uncertain?.() ?? "")
    : error.mayHaveSucceeded
      ? "The change MAY HAVE BEEN APPLIED even though no answer arrived; check before trying again."
      : NEXT[error.kind](error, what);
  const data: ErrorReport["data"] = { kind: error.kind, message: error.message };
  if (error.status !== undefined) data.status = error.status;
  if (Object.keys(error.fields).length > 0) data.fields = error.fields;
  if (error.retryAfterSeconds !== undefined) data.retry_after_seconds = error.retryAfterSeconds;
  if (error.mayHaveSucceeded) data.may_have_succeeded = true;
  return { text: `${error.message}. ${next}`.trim(), data };
}
