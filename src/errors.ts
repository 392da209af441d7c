import { MocoError, type MocoErrorKind } from "./moco/errors.js";
import { forJson, quoted, visible } from "./text.js";

/**
 * Turns any failure into what the model reads: what happened and what to do next. MOCO's own
 * messages are passed on, since they name the fields to fix, but as quoted data: MOCO's text must
 * never read as a line of ours. Knows no tool by name: a tool declares its own next step for a write
 * that may have landed, an input error its own hint.
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
  // Data as MOCO stores it: the same answer comes back until someone fixes it there.
  unreadable: () => "Retrying will not help until it is fixed in MOCO; other leads can still be read by id.",
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

/** Enough of MOCO's words for a field list; the JSON line's `fields` carries every message. */
const MOCO_WORDS_MAX = 500;

/**
 * A MOCO error's message as it stands in our sentence: MOCO's own words (`upstream`, right after the
 * head "MOCO had an internal error (500): ") are quoted (one line, control and bidi characters
 * escaped, clipped); the rest is ours (the head, the client's notes such as " after 2 attempts"), with
 * any invisible character escaped all the same.
 */
function sentence(error: MocoError): string {
  const words = error.upstream;
  const at = words === undefined ? -1 : error.message.indexOf(`: ${words}`);
  if (words === undefined || at < 0) return visible(error.message);
  const head = error.message.slice(0, at + 2);
  const rest = error.message.slice(at + 2 + words.length);
  return `${visible(head)}${quoted(words, MOCO_WORDS_MAX)}${visible(rest)}`;
}

/** MOCO's field messages for the JSON line: the same data, with nothing that could reorder the line. */
const jsonFields = (fields: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(fields).map(([f, ms]) => [forJson(f), ms.map(forJson)]));

export function describeError(error: unknown, subject: ErrorSubject = {}): ErrorReport {
  if (error instanceof InputError) {
    return {
      text: `${error.message}.${error.hint ? ` ${error.hint}` : ""}`,
      data: { kind: "invalid_input", message: error.message, fields: error.fields },
    };
  }
  if (!(error instanceof MocoError)) {
    const message = visible(error instanceof Error ? error.message : String(error));
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
      ? "The change MAY HAVE BEEN APPLIED even though MOCO's answer did not confirm it; check before trying again."
      : NEXT[error.kind](error, what);
  const message = sentence(error);
  const data: ErrorReport["data"] = { kind: error.kind, message };
  if (error.status !== undefined) data.status = error.status;
  if (Object.keys(error.fields).length > 0) data.fields = jsonFields(error.fields);
  if (error.retryAfterSeconds !== undefined) data.retry_after_seconds = error.retryAfterSeconds;
  if (error.mayHaveSucceeded) data.may_have_succeeded = true;
  return { text: `${message}. ${next}`.trim(), data };
}
