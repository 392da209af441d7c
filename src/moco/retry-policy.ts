import type { RateLimit } from "./budget.js";

/**
 * Whether a failed attempt at MOCO is tried again, and after how long: a pure function of the
 * method, the attempt, what came back and the clock, so every rule can be read (and tested) in one
 * table. The client only carries the decision out.
 */
export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** What one attempt came to: an HTTP answer that was not a success, or no answer at all. */
export type Outcome =
  | { status: number; retryAfter?: string }
  | { failure: "network" | "timeout" | "cancelled" };

export interface RetryRules {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Exponential back-off: the first wait, and the longest. */
  baseMs: number;
  maxMs: number;
  /** MOCO's window: the floor of a 429 without a hint, and the wait named when they run out. */
  rate: RateLimit;
  /** The longest wait one Retry-After may impose; beyond it the answer counts as one without. */
  maxRetryAfterMs: number;
}

export interface RetryInput {
  method: Method;
  /** The attempt that just failed, from 1. */
  attempt: number;
  outcome: Outcome;
  /** How many 500s came back before this outcome. */
  earlier500s: number;
  now: number;
  /** Epoch ms by which the whole call must be done. */
  deadline: number;
  /** In [0, 1): where in its range the back-off falls (jitter). */
  random: number;
}

export type Decision = {
  /** Every caller of the account waits this long too (MOCO said 429). */
  pauseMs?: number;
  /** The Retry-After asked for more than the cap and was ignored (seconds asked). */
  ignoredRetryAfterSeconds?: number;
} & (
  | { retry: true; delayMs: number }
  | { retry: false; reason: "cancelled" | "not_retryable" }
  /** Retries used up, or the next one would end after the deadline: wait this long before calling again. */
  | { retry: false; reason: "exhausted"; waitSeconds: number }
);

const RETRY_STATUS = new Set([429, 502, 503, 504]);
/**
 * A plain 500 is retried once (not POST): often a passing fault on MOCO's side, while one that comes
 * back again is likely caused by the request itself, and repeating it only spends the budget.
 */
const RETRIES_OF_500 = 1;

/**
 * The wait a Retry-After asks for, in whole seconds, or undefined when it asks for none: only delta
 * seconds (digits) or an HTTP date that lies in the future count. Anything else (`-5`, `120.5`,
 * `abc`, `0`, a date in the past) is no hint, so the caller falls back to its own back-off rather
 * than retrying at once.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) > 0 ? Number(trimmed) : undefined;
  // Date.parse reads "-5" or "120.5" as years; an HTTP date names its month.
  if (!/[a-z]{3}/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date) || date <= now) return undefined;
  return Math.ceil((date - now) / 1000);
}

/** The answer may have come after MOCO acted: a write with this outcome has an unknown result. */
export function mayHaveReached(outcome: Outcome): boolean {
  if ("failure" in outcome) return outcome.failure !== "cancelled";
  return outcome.status === 500 || outcome.status === 502 || outcome.status === 504;
}

export function decideRetry(rules: RetryRules, input: RetryInput): Decision {
  const { outcome, attempt } = input;
  if ("failure" in outcome && outcome.failure === "cancelled") return { retry: false, reason: "cancelled" };
  const status = "status" in outcome ? outcome.status : undefined;
  let hint = "status" in outcome ? parseRetryAfter(outcome.retryAfter, input.now) : undefined;
  // A Retry-After beyond the cap (999999999 s, a date in 9999) would stop every call until a
  // restart: it is dropped, and the answer treated as a bare 429 (or 5xx) with MOCO's own window.
  const ignored = hint !== undefined && hint * 1000 > rules.maxRetryAfterMs ? hint : undefined;
  if (ignored !== undefined) hint = undefined;
  const note = ignored === undefined ? {} : { ignoredRetryAfterSeconds: ignored };
  // A create is only repeated when MOCO said it did not process it (429). After a timeout or a
  // reset the lead may exist, and a second POST would duplicate it.
  const idempotent = input.method !== "POST";
  const lost = "failure" in outcome || status === 502 || status === 504;
  const again500 = status === 500 && input.earlier500s < RETRIES_OF_500;
  const retryable =
    status === 429 ||
    (idempotent && ((status !== undefined && RETRY_STATUS.has(status)) || lost || again500));
  if (!retryable) return { retry: false, reason: "not_retryable", ...note };
  // MOCO sends no Retry-After with its 429: its window is long, so back off at least a few
  // requests' worth of it, and hold every other caller back as well.
  const { limit, windowMs } = rules.rate;
  const noHint = status === 429 && hint === undefined;
  const exp = Math.min(rules.maxMs, rules.baseMs * 2 ** (attempt - 1));
  const jittered = Math.round(exp / 2 + input.random * (exp / 2));
  const delayMs =
    hint !== undefined ? hint * 1000 : noHint ? Math.max(jittered, (4 * windowMs) / limit) : jittered;
  const pause = status === 429 ? { pauseMs: delayMs } : {};
  if (attempt > rules.maxRetries || input.now + delayMs >= input.deadline) {
    const waitSeconds = noHint ? Math.ceil(windowMs / 2000) : Math.ceil(delayMs / 1000);
    return { retry: false, reason: "exhausted", waitSeconds, ...pause, ...note };
  }
  return { retry: true, delayMs, ...pause, ...note };
}
