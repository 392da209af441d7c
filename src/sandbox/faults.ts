// Injected failures for resilience tests. A fault plan is a list; for each authenticated request the
// first fault whose method and path match is used up (once by default), so a test can script
// "the second GET /deals times out, then everything works".

export type FaultKind =
  | "status"
  | "rate_limit"
  | "slow"
  | "reset"
  | "reset_after_commit"
  | "malformed_json"
  | "oversized"
  | "empty";

const FAULT_KINDS: readonly FaultKind[] = [
  "status",
  "rate_limit",
  "slow",
  "reset",
  "reset_after_commit",
  "malformed_json",
  "oversized",
  "empty",
];

export interface Fault {
  /** HTTP method to match (case-insensitive); any when absent. */
  method?: string;
  /** Path without the /api/v1 prefix, e.g. "/deals/12". A string matches as a prefix; any when absent. */
  path?: string | RegExp;
  /**
   * The query string to match, without "?" (e.g. "page=3&per_page=100"). A string matches when every
   * parameter it names has that value in the request; any when absent.
   */
  query?: string | RegExp;
  /** How many matching requests this fault applies to: default 1, Infinity allowed. Decremented in place. */
  times?: number;
  /**
   * - status: answer `status` with `body` (default {"message": <reason phrase>}); request not applied.
   * - rate_limit: 429 {"message":"Too many requests"} (+ Retry-After if `retryAfter`); not applied.
   * - slow: wait `delayMs`, then answer normally (not applied if the client gave up meanwhile).
   * - reset: destroy the socket; not applied.
   * - reset_after_commit: apply the request, send the status line and half the body, destroy the socket.
   * - malformed_json: 200, JSON content type, truncated JSON; not applied.
   * - oversized: 200 with a valid JSON array of `bytes` bytes (default 12 MB); not applied.
   * - empty: `status` (default 200) with an empty body; not applied.
   */
  kind: FaultKind;
  status?: number;
  body?: unknown;
  /** Retry-After value (seconds or an HTTP date); MOCO itself sends none. */
  retryAfter?: string;
  delayMs?: number;
  bytes?: number;
}

/** Finds the first fault for this request and uses it up; exhausted faults leave the list. */
export function takeFault(
  faults: Fault[],
  method: string,
  path: string,
  query: URLSearchParams = new URLSearchParams(),
): Fault | undefined {
  for (let i = 0; i < faults.length; i++) {
    const fault = faults[i];
    if (!fault || !matches(fault, method, path, query)) continue;
    const times = fault.times ?? 1;
    if (!(times >= 1)) {
      faults.splice(i--, 1); // pushed again after it ran down to 0: nothing left to apply
      continue;
    }
    // A fault with the default single use is removed without being changed, so a test may push the same
    // constant object again later; an explicit count is decremented so tests can watch it run down.
    if (fault.times !== undefined) fault.times = times - 1;
    if (times - 1 < 1) faults.splice(i, 1);
    return fault;
  }
  return undefined;
}

function matches(fault: Fault, method: string, path: string, query: URLSearchParams): boolean {
  if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) return false;
  if (fault.query !== undefined && !queryMatches(fault.query, query)) return false;
  if (fault.path === undefined) return true;
  return typeof fault.path === "string" ? path.startsWith(fault.path) : fault.path.test(path);
}

function queryMatches(wanted: string | RegExp, query: URLSearchParams): boolean {
  if (typeof wanted !== "string") return wanted.test(query.toString());
  for (const [key, value] of new URLSearchParams(wanted)) if (query.get(key) !== value) return false;
  return true;
}

/**
 * Parses MOCO_SANDBOX_FAULTS: a JSON array of Fault objects, with two conveniences JSON lacks:
 * `"times": "Infinity"` and a path or query written as `"re:^/deals/\\d+$"` for a regular expression.
 * Example: [{"kind":"rate_limit","path":"/deals","times":2},{"kind":"slow","delayMs":1500,"method":"GET"}]
 * Throws an Error naming the offending entry when the value is not such a list.
 */
export function parseFaultsEnv(value: string): Fault[] {
  if (value.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error("MOCO_SANDBOX_FAULTS must be a JSON array of fault objects");
  }
  if (!Array.isArray(parsed)) throw new Error("MOCO_SANDBOX_FAULTS must be a JSON array of fault objects");
  return parsed.map((entry, i) => parseFault(entry, i));
}

function parseFault(entry: unknown, index: number): Fault {
  const fail = (why: string): never => {
    throw new Error(`MOCO_SANDBOX_FAULTS[${index}]: ${why}`);
  };
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return fail("not an object");
  const e = entry as Record<string, unknown>;
  if (!FAULT_KINDS.includes(e.kind as FaultKind))
    return fail(`kind must be one of ${FAULT_KINDS.join(", ")}`);
  const fault: Fault = { kind: e.kind as FaultKind };
  if (e.method !== undefined)
    fault.method = typeof e.method === "string" ? e.method : fail("method must be a string");
  if (e.path !== undefined) {
    if (typeof e.path !== "string") return fail("path must be a string");
    fault.path = e.path.startsWith("re:") ? new RegExp(e.path.slice(3)) : e.path;
  }
  if (e.query !== undefined) {
    if (typeof e.query !== "string") return fail("query must be a string");
    fault.query = e.query.startsWith("re:") ? new RegExp(e.query.slice(3)) : e.query;
  }
  if (e.times !== undefined) {
    const times = e.times === "Infinity" ? Number.POSITIVE_INFINITY : e.times;
    fault.times =
      typeof times === "number" && times > 0 ? times : fail('times must be a positive number or "Infinity"');
  }
  for (const key of ["status", "delayMs", "bytes"] as const) {
    if (e[key] === undefined) continue;
    const n = e[key];
    fault[key] = typeof n === "number" && Number.isFinite(n) && n >= 0 ? n : fail(`${key} must be a number`);
  }
  if (e.retryAfter !== undefined) {
    fault.retryAfter = typeof e.retryAfter === "string" ? e.retryAfter : String(e.retryAfter);
  }
  if (e.body !== undefined) fault.body = e.body;
  return fault;
}
