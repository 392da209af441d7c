import { parseRetryAfter } from "./retry-policy.js";

/**
 * One error type for everything that can go wrong talking to MOCO. The `kind` drives the
 * message the model sees and whether a request may be retried; `fields` carries MOCO's own
 * validation messages verbatim (often German).
 */
export type MocoErrorKind =
  | "auth"
  | "forbidden"
  | "not_found"
  | "validation"
  | "bad_request"
  | "redirect"
  | "rate_limited"
  | "server"
  | "unreadable"
  | "network"
  | "timeout"
  | "cancelled";

export interface MocoErrorInit {
  kind: MocoErrorKind;
  message: string;
  status?: number;
  fields?: Record<string, string[]>;
  retryAfterSeconds?: number;
  /** A create whose outcome is unknown: MOCO may have stored the lead. */
  mayHaveSucceeded?: boolean;
  attempts?: number;
  /** MOCO's own words in `message` (after its head, "…: "), verbatim: data, never a sentence of ours. */
  upstream?: string;
}

export class MocoError extends Error {
  readonly kind: MocoErrorKind;
  readonly status: number | undefined;
  readonly fields: Record<string, string[]>;
  readonly retryAfterSeconds: number | undefined;
  readonly mayHaveSucceeded: boolean;
  readonly attempts: number;
  readonly upstream: string | undefined;

  constructor(init: MocoErrorInit) {
    super(init.message);
    this.name = "MocoError";
    this.kind = init.kind;
    this.status = init.status;
    this.fields = init.fields ?? {};
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.mayHaveSucceeded = init.mayHaveSucceeded ?? false;
    this.attempts = init.attempts ?? 1;
    this.upstream = init.upstream;
  }

  with(patch: Partial<MocoErrorInit>): MocoError {
    return new MocoError({
      kind: this.kind,
      message: this.message,
      status: this.status,
      fields: this.fields,
      retryAfterSeconds: this.retryAfterSeconds,
      mayHaveSucceeded: this.mayHaveSucceeded,
      attempts: this.attempts,
      upstream: this.upstream,
      ...patch,
    });
  }
}

export function kindForStatus(status: number): MocoErrorKind {
  if (status === 401) return "auth";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 422) return "validation";
  if (status === 429) return "rate_limited";
  if (status >= 300 && status < 400) return "redirect";
  if (status >= 500) return "server";
  return "bad_request";
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

function asMessages(v: unknown): string[] | undefined {
  if (typeof v === "string") return [v];
  if (isStringList(v)) return v;
  return undefined;
}

/**
 * Reads every body shape MOCO is known to send: empty, `{message}`, `{error}`, `{errors:[…]}`,
 * `{errors:{field:[…]}}` and a bare field map `{field:[…]}`. Anything else (HTML from a proxy,
 * a stack trace) is not shown: it is noise to the model and may echo request data.
 */
export function parseErrorBody(text: string): { summary: string[]; fields: Record<string, string[]> } {
  const summary: string[] = [];
  const fields: Record<string, string[]> = {};
  let body: unknown;
  try {
    body = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    return { summary, fields };
  }
  if (typeof body === "string") summary.push(body);
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    if (isStringList(body)) summary.push(...body);
    return { summary, fields };
  }
  const record = body as Record<string, unknown>;
  const addFieldMap = (map: Record<string, unknown>) => {
    for (const [field, value] of Object.entries(map)) {
      const messages = asMessages(value);
      if (messages) fields[field] = messages;
    }
  };
  for (const [key, value] of Object.entries(record)) {
    if (key === "message" || key === "error") {
      const messages = asMessages(value);
      if (messages) summary.push(...messages);
    } else if (key === "errors") {
      if (isStringList(value)) summary.push(...value);
      else if (typeof value === "string") summary.push(value);
      else if (value && typeof value === "object") addFieldMap(value as Record<string, unknown>);
    } else {
      const messages = asMessages(value);
      if (messages) fields[key] = messages;
    }
  }
  return { summary, fields };
}

const STATUS_TEXT: Record<MocoErrorKind, string> = {
  auth: "MOCO rejected the API key (401)",
  forbidden: "MOCO refused access (403)",
  not_found: "Not found in MOCO (404)",
  validation: "MOCO rejected the data (422)",
  bad_request: "MOCO rejected the request",
  redirect: "MOCO answered with a redirect",
  rate_limited: "MOCO's rate limit was hit (429)",
  server: "MOCO had an internal error",
  unreadable: "MOCO sent data this server cannot read",
  network: "MOCO could not be reached",
  timeout: "MOCO did not answer in time",
  cancelled: "The request was cancelled",
};

/**
 * A 3xx is never followed (it may point anywhere, a login page included) and never a success: for a
 * GET nothing changed; a write may have been carried out before MOCO (or a proxy) redirected.
 */
export function redirectError(status: number, method: string): MocoError {
  const read = method === "GET";
  return new MocoError({
    kind: "redirect",
    status,
    message: `${STATUS_TEXT.redirect} (${status}) and it was not followed; ${read ? "nothing was changed" : `the ${method} may have been carried out`}`,
    mayHaveSucceeded: !read,
  });
}

export function errorFromResponse(status: number, bodyText: string, retryAfterHeader?: string): MocoError {
  const kind = kindForStatus(status);
  const { summary, fields } = parseErrorBody(bodyText);
  const fieldText = Object.entries(fields).map(([f, m]) => `${f}: ${m.join(", ")}`);
  const detail = [...summary, ...fieldText].join("; ");
  const head =
    kind === "bad_request" || kind === "server" ? `${STATUS_TEXT[kind]} (${status})` : STATUS_TEXT[kind];
  return new MocoError({
    kind,
    status,
    fields,
    message: detail ? `${head}: ${detail}` : head,
    ...(detail ? { upstream: detail } : {}),
    retryAfterSeconds: parseRetryAfter(retryAfterHeader),
  });
}
