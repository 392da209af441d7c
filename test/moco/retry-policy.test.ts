import { describe, expect, it } from "vitest";
import {
  type Decision,
  decideRetry,
  type Method,
  mayHaveReached,
  type Outcome,
  parseRetryAfter,
  type RetryRules,
} from "../../src/moco/retry-policy.js";

/**
 * The retry decision as a table: each row one rule, no sockets, no clock. With these rules a first
 * back-off is 75 ms (100 ms halved plus half of it jittered at 0.5), and a 429 without a usable
 * Retry-After waits at least 4 s (four requests' worth of a 120-per-120-s window).
 */
const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);
const RULES: RetryRules = {
  maxRetries: 3,
  baseMs: 100,
  maxMs: 800,
  rate: { limit: 120, windowMs: 120_000 },
  maxRetryAfterMs: 120_000,
};
const NO_HINT_429 = 4_000;
const FIRST_BACKOFF = 75;

interface Row {
  name: string;
  method?: Method;
  attempt?: number;
  outcome: Outcome;
  earlier500s?: number;
  deadline?: number;
  random?: number;
  rules?: Partial<RetryRules>;
  expected: Decision;
}

const status = (code: number, retryAfter?: string): Outcome => ({ status: code, retryAfter });
const retry = (
  delayMs: number,
  extra: { pauseMs?: number; ignoredRetryAfterSeconds?: number } = {},
): Decision => ({
  retry: true,
  delayMs,
  ...extra,
});
const notRetryable: Decision = { retry: false, reason: "not_retryable" };

const rows: Row[] = [
  // What is retried, by method
  {
    name: "a 503 on a GET is retried after the back-off",
    outcome: status(503),
    expected: retry(FIRST_BACKOFF),
  },
  { name: "a 502 on a PUT is retried", method: "PUT", outcome: status(502), expected: retry(FIRST_BACKOFF) },
  {
    name: "a 504 on a DELETE is retried",
    method: "DELETE",
    outcome: status(504),
    expected: retry(FIRST_BACKOFF),
  },
  { name: "a 503 on a POST is not retried", method: "POST", outcome: status(503), expected: notRetryable },
  {
    name: "a 502 on a POST is not retried (MOCO may have stored it)",
    method: "POST",
    outcome: status(502),
    expected: notRetryable,
  },
  {
    name: "a bare 429 on a POST is retried (MOCO did not process it) and holds every caller back",
    method: "POST",
    outcome: status(429),
    expected: retry(NO_HINT_429, { pauseMs: NO_HINT_429 }),
  },
  { name: "a first 500 on a GET is retried", outcome: status(500), expected: retry(FIRST_BACKOFF) },
  {
    name: "a first 500 on a PUT is retried",
    method: "PUT",
    outcome: status(500),
    expected: retry(FIRST_BACKOFF),
  },
  {
    name: "a first 500 on a DELETE is retried",
    method: "DELETE",
    outcome: status(500),
    expected: retry(FIRST_BACKOFF),
  },
  {
    name: "a second 500 on a GET is not retried",
    outcome: status(500),
    earlier500s: 1,
    attempt: 2,
    expected: notRetryable,
  },
  { name: "a 500 on a POST is never retried", method: "POST", outcome: status(500), expected: notRetryable },
  {
    name: "a lost connection on a GET is retried",
    outcome: { failure: "network" },
    expected: retry(FIRST_BACKOFF),
  },
  {
    name: "a timeout on a PUT is retried",
    method: "PUT",
    outcome: { failure: "timeout" },
    expected: retry(FIRST_BACKOFF),
  },
  {
    name: "a lost connection on a POST is not retried",
    method: "POST",
    outcome: { failure: "network" },
    expected: notRetryable,
  },
  {
    name: "a timeout on a POST is not retried",
    method: "POST",
    outcome: { failure: "timeout" },
    expected: notRetryable,
  },
  {
    name: "a cancelled call is not retried",
    outcome: { failure: "cancelled" },
    expected: { retry: false, reason: "cancelled" },
  },
  { name: "a 404 is not retried", outcome: status(404), expected: notRetryable },
  { name: "a 422 on a PUT is not retried", method: "PUT", outcome: status(422), expected: notRetryable },
  { name: "a 200 that could not be read is not retried", outcome: status(200), expected: notRetryable },
  { name: "a 302 is not retried", outcome: status(302), expected: notRetryable },
  // How long
  { name: "the back-off doubles per attempt", attempt: 3, outcome: status(503), expected: retry(300) },
  {
    name: "the back-off stops growing at retryMaxMs",
    attempt: 6,
    rules: { maxRetries: 10 },
    outcome: status(503),
    expected: retry(600),
  },
  {
    name: "the jitter spans the upper half of the back-off (low end)",
    random: 0,
    outcome: status(503),
    expected: retry(50),
  },
  {
    name: "the jitter spans the upper half of the back-off (high end)",
    random: 0.99,
    outcome: status(503),
    expected: retry(100),
  },
  {
    name: "a bare 429 backs off at least four requests' worth of the window",
    outcome: status(429),
    expected: retry(NO_HINT_429, { pauseMs: NO_HINT_429 }),
  },
  {
    name: "a 429 with Retry-After: 7 waits 7 s and holds every caller back as long",
    outcome: status(429, "7"),
    expected: retry(7_000, { pauseMs: 7_000 }),
  },
  { name: "a 503 with Retry-After: 2 waits 2 s", outcome: status(503, "2"), expected: retry(2_000) },
  {
    name: "a 429 with an HTTP date 30 s ahead waits 30 s",
    outcome: status(429, new Date(NOW + 30_000).toUTCString()),
    expected: retry(30_000, { pauseMs: 30_000 }),
  },
  {
    name: "a Retry-After beyond the cap is dropped: a bare 429, saying what was asked",
    outcome: status(429, "999999999"),
    expected: retry(NO_HINT_429, { pauseMs: NO_HINT_429, ignoredRetryAfterSeconds: 999_999_999 }),
  },
  {
    name: "a Retry-After date in 9999 is dropped as beyond the cap",
    outcome: status(429, "Fri, 31 Dec 9999 23:59:59 GMT"),
    expected: retry(NO_HINT_429, {
      pauseMs: NO_HINT_429,
      ignoredRetryAfterSeconds: Math.ceil((Date.UTC(9999, 11, 31, 23, 59, 59) - NOW) / 1000),
    }),
  },
  // A Retry-After that asks for no future wait is no hint: the back-off applies, never an immediate retry
  ...(
    [
      ["-5", "a negative number"],
      ["120.5", "a fraction"],
      ["abc", "not a number or a date"],
      ["0", "zero"],
      ["Thu, 01 Jan 1970 00:00:00 GMT", "an HTTP date in the past (1970)"],
      [new Date(NOW - 1_000).toUTCString(), "an HTTP date a second ago"],
    ] as const
  ).flatMap(([header, what]): Row[] => [
    {
      name: `a 429 with Retry-After ${what} (${JSON.stringify(header)}) gets the no-hint back-off`,
      outcome: status(429, header),
      expected: retry(NO_HINT_429, { pauseMs: NO_HINT_429 }),
    },
    {
      name: `a 503 with Retry-After ${what} (${JSON.stringify(header)}) gets the usual back-off`,
      outcome: status(503, header),
      expected: retry(FIRST_BACKOFF),
    },
  ]),
  // Giving up
  {
    name: "when the retries are used up it gives up, naming the back-off as the wait",
    attempt: 4,
    outcome: status(503),
    expected: { retry: false, reason: "exhausted", waitSeconds: 1 },
  },
  {
    name: "when a bare 429's retries are used up it names half of MOCO's window, and still holds callers back",
    attempt: 4,
    outcome: status(429),
    expected: { retry: false, reason: "exhausted", waitSeconds: 60, pauseMs: NO_HINT_429 },
  },
  {
    name: "a retry that would end after the deadline is not made",
    outcome: status(429, "30"),
    deadline: NOW + 10_000,
    expected: { retry: false, reason: "exhausted", waitSeconds: 30, pauseMs: 30_000 },
  },
  {
    name: "a retry ending exactly at the deadline is not made either",
    outcome: status(503),
    deadline: NOW + FIRST_BACKOFF,
    expected: { retry: false, reason: "exhausted", waitSeconds: 1 },
  },
  {
    name: "with no retries allowed the first failure ends the call",
    rules: { maxRetries: 0 },
    outcome: { failure: "network" },
    expected: { retry: false, reason: "exhausted", waitSeconds: 1 },
  },
];

describe("decideRetry", () => {
  it("has rows to check", () => {
    expect(rows.length).toBeGreaterThan(30);
  });

  it.each(rows)("$name", (row) => {
    const decision = decideRetry(
      { ...RULES, ...row.rules },
      {
        method: row.method ?? "GET",
        attempt: row.attempt ?? 1,
        outcome: row.outcome,
        earlier500s: row.earlier500s ?? 0,
        now: NOW,
        deadline: row.deadline ?? NOW + 60_000,
        random: row.random ?? 0.5,
      },
    );
    expect(decision).toEqual(row.expected);
  });
});

describe("parseRetryAfter", () => {
  it.each([
    ["7", 7],
    [" 12 ", 12],
    [new Date(NOW + 30_000).toUTCString(), 30],
    [new Date(NOW + 300).toUTCString(), undefined],
    [new Date(NOW + 1_300).toUTCString(), 1],
    ["0", undefined],
    ["-5", undefined],
    ["120.5", undefined],
    ["abc", undefined],
    ["Thu, 01 Jan 1970 00:00:00 GMT", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("%j asks for %j s", (header, seconds) => {
    expect(parseRetryAfter(header, NOW)).toBe(seconds);
  });
});

describe("mayHaveReached", () => {
  it.each([
    [{ failure: "network" }, true],
    [{ failure: "timeout" }, true],
    [{ failure: "cancelled" }, false],
    [{ status: 500 }, true],
    [{ status: 502 }, true],
    [{ status: 504 }, true],
    [{ status: 503 }, false],
    [{ status: 429 }, false],
    [{ status: 422 }, false],
  ] as [Outcome, boolean][])("%j: %s", (outcome, reached) => {
    expect(mayHaveReached(outcome)).toBe(reached);
  });
});
