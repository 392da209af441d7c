import { createHmac } from "node:crypto";
import { type RateBudget, RateBudgetExceeded, type Release, withAccount } from "./budget.js";
import { MocoError } from "./errors.js";
import { sleep } from "./rate-limit.js";
import {
  type Decision,
  decideRetry,
  type Method,
  mayHaveReached,
  type Outcome,
  type RetryRules,
} from "./retry-policy.js";
import { normaliseBaseUrl, scopeKey } from "./scope.js";
import {
  type Attempt,
  type Connection,
  cancelled,
  type MocoResponse,
  type Pool,
  pool,
  send,
} from "./send.js";

export type { MocoResponse, PageInfo, Pool } from "./send.js";
export { parsePage, pool } from "./send.js";

/**
 * The MOCO API client: builds URLs, takes a slot of the rate budget for every attempt, sends it
 * (send.ts), and retries as the retry policy decides (retry-policy.ts). Knows nothing of MCP.
 */
export interface MocoClientOptions {
  baseUrl: string;
  apiKey: string;
  userAgent: string;
  /** Deadline for one HTTP attempt. */
  requestTimeoutMs: number;
  /** This client's rate budget (e.g. a RateLimiter over MOCO's limit). */
  budget: RateBudget;
  /**
   * The budget of the MOCO account, shared by every key of it (per-request credentials): each
   * request takes a slot here as well as in `budget`.
   */
  accountBudget?: RateBudget;
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  maxResponseBytes?: number;
  /** A pool shared with other clients (every key of one account): this client never closes it. */
  pool?: Pool;
}

/** A write sent to MOCO whose answer has not arrived yet. */
export interface PendingWrite {
  method: "POST" | "PUT" | "DELETE";
  path: string;
}

/** A call MOCO answered 401 or 403: `error.kind` says which ("auth" or "forbidden"). */
export interface Refusal {
  method: Method;
  path: string;
  error: MocoError;
}

export type Query = Record<string, string | number | boolean | undefined | string[]>;

export interface CallOptions {
  query?: Query;
  body?: unknown;
  /**
   * Aborts the call (client cancellation). A GET is aborted at once; a write only until it is sent:
   * once MOCO may be carrying it out, it runs to its answer (or its own timeout), so the outcome is known.
   */
  signal?: AbortSignal;
  /** Epoch ms by which the whole call, waits and retries included, must be done. */
  deadline?: number;
  /** Told before each retry, so the caller can let the user know why a call is slow. */
  onRetry?: (retry: RetryEvent) => void;
  /**
   * A share of the budget this call keeps to as well (a slot in it first, then in the client's): a
   * background sync kept to part of MOCO's limit leaves the rest to interactive calls.
   */
  share?: RateBudget;
}

export interface RetryEvent {
  method: string;
  path: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

/** Builds a path from fixed segments and positive integer ids; nothing else can reach the URL path. */
export function apiPath(...segments: (string | number)[]): string {
  return segments
    .map((s) => {
      if (typeof s === "number") {
        if (!Number.isSafeInteger(s) || s <= 0) throw new Error(`Invalid id in path: ${s}`);
        return String(s);
      }
      if (!/^[a-z_]+$/.test(s)) throw new Error(`Invalid path segment: ${s}`);
      return s;
    })
    .map((s) => `/${encodeURIComponent(s)}`)
    .join("");
}

export class MocoClient {
  /** This client's own budget (without the account's). */
  readonly budget: RateBudget;
  private readonly spend: RateBudget;
  private readonly rules: RetryRules;
  private readonly connection: Connection;
  private readonly base: URL;
  private readonly pending = new Map<Promise<unknown>, PendingWrite>();
  private readonly uncertain = new Set<(write: PendingWrite) => unknown>();
  private lastUncertain: number | undefined;
  private readonly refusals = new Set<(refusal: Refusal) => void>();
  private lastAccepted: number | undefined;
  private lastUnauthorized: (Refusal & { at: number }) | undefined;

  /**
   * Which credentials this client speaks for, without them: the base URL and 64 bits of the key's
   * SHA-256. Keys of one account may see different leads, so mirrors and caches are kept per scope.
   */
  readonly scope: string;
  /** The MOCO account (its base URL, normalised as in `scope`): MOCO counts its rate limit per account. */
  readonly account: string;

  constructor(private readonly options: MocoClientOptions) {
    this.base = new URL(options.baseUrl.replace(/\/+$/, ""));
    this.scope = scopeKey(options.baseUrl, options.apiKey);
    this.account = normaliseBaseUrl(options.baseUrl);
    this.budget = options.budget;
    this.spend = withAccount(options.budget, options.accountBudget);
    this.connection = {
      apiKey: options.apiKey,
      userAgent: options.userAgent,
      pool: options.pool ?? pool(8),
      requestTimeoutMs: options.requestTimeoutMs,
      maxResponseBytes: options.maxResponseBytes ?? 8 * 1024 * 1024,
    };
    this.rules = {
      maxRetries: options.maxRetries ?? 3,
      baseMs: options.retryBaseMs ?? 500,
      maxMs: options.retryMaxMs ?? 8000,
      rate: options.budget.rate,
      // One answer may hold calls back for at most one of MOCO's windows.
      maxRetryAfterMs: options.budget.rate.windowMs,
    };
  }

  /**
   * A secret for `purpose` derived from this client's API key (an HMAC; never the key itself): what
   * signs a confirmation token, so that another instance with the same credentials can check it.
   */
  secret(purpose: string): Buffer {
    return createHmac("sha256", this.options.apiKey)
      .update(`moco-leads-mcp ${purpose}\0${this.scope}`)
      .digest();
  }

  get(path: string, options?: CallOptions) {
    return this.call("GET", path, options);
  }
  post(path: string, body: unknown, options?: CallOptions) {
    return this.call("POST", path, { ...options, body });
  }
  put(path: string, body: unknown, options?: CallOptions) {
    return this.call("PUT", path, { ...options, body });
  }
  delete(path: string, options?: CallOptions) {
    return this.call("DELETE", path, options);
  }

  /**
   * Waits up to `ms` for the writes already sent to MOCO (shutdown), and returns those still
   * unanswered: they may have been carried out.
   */
  async drain(ms: number): Promise<PendingWrite[]> {
    if (this.pending.size === 0) return [];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.pending.keys()]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, ms));
      }),
    ]);
    clearTimeout(timer);
    return [...this.pending.values()];
  }

  /** Closes the pool; writes still unanswered (drain gave up on them) are cut off, not waited for. */
  async close(): Promise<void> {
    if (!this.options.pool) await this.connection.pool.close(this.pending.size > 0);
  }

  url(path: string, query: Query = {}): URL {
    const url = new URL(this.base.href + path);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, v);
      else url.searchParams.set(key, String(value));
    }
    return url;
  }

  /**
   * Tells `listener` of every write whose outcome is unknown: it may have been carried out although
   * no usable answer came (so a copy of MOCO's data, such as the lead mirror, may be behind). Returns
   * the unsubscribe. A listener may return a promise (it records the write where others see it): the
   * caller learns of the write only once it settled.
   */
  onUncertainWrite(listener: (write: PendingWrite) => unknown): () => void {
    this.uncertain.add(listener);
    return () => this.uncertain.delete(listener);
  }

  /**
   * For a caller that finds a write's 2xx answer unusable: MOCO did it, what it stored is unknown.
   * Every listener is told at once; resolves when all of them settled (their failures are theirs).
   */
  async reportUncertain(write: PendingWrite): Promise<void> {
    this.lastUncertain = Date.now();
    await Promise.allSettled([...this.uncertain].map(async (listener) => listener(write)));
  }

  /** When this client last had a write of unknown outcome (ms), for a listener that came later. */
  get lastUncertainAt(): number | undefined {
    return this.lastUncertain;
  }

  /**
   * Tells `listener` of every call MOCO refused with 401 (the key is not accepted) or 403 (which may
   * also be a key allowed to read but not to write: the listener tells by `error.kind` and the call).
   * Returns the unsubscribe.
   */
  onRefusal(listener: (refusal: Refusal) => void): () => void {
    this.refusals.add(listener);
    return () => this.refusals.delete(listener);
  }

  /** The latest call MOCO answered 401 (and when, ms), for a listener that came later. */
  get lastAuthRefusal(): (Refusal & { at: number }) | undefined {
    return this.lastUnauthorized;
  }

  /** When the latest call MOCO answered began (ms): MOCO accepted this key at or after that time. */
  get lastAcceptedAt(): number | undefined {
    return this.lastAccepted;
  }

  async call(method: Method, path: string, options: CallOptions = {}): Promise<MocoResponse> {
    const began = Date.now();
    try {
      const response = await this.attempts(method, path, options);
      this.lastAccepted = Math.max(this.lastAccepted ?? 0, began);
      return response;
    } catch (error) {
      if (method !== "GET" && error instanceof MocoError && error.mayHaveSucceeded) {
        await this.reportUncertain({ method, path });
      }
      if (error instanceof MocoError && (error.kind === "auth" || error.kind === "forbidden")) {
        if (error.kind === "auth") this.lastUnauthorized = { at: Date.now(), method, path, error };
        for (const listener of this.refusals) listener({ method, path, error });
      }
      throw error;
    }
  }

  /** Attempts until one succeeds or the retry policy gives up; every attempt takes a budget slot. */
  private async attempts(method: Method, path: string, options: CallOptions): Promise<MocoResponse> {
    const deadline =
      options.deadline ?? Date.now() + this.options.requestTimeoutMs * (this.rules.maxRetries + 1);
    // Whether some attempt may have reached MOCO without us seeing the answer.
    let unsure = false;
    let earlier500s = 0;
    const spend = options.share ? withAccount(options.share, this.spend) : this.spend;
    for (let attempt = 1; ; attempt++) {
      const release = await this.take(spend, deadline, options.signal, attempt, method, unsure);
      let result: Attempt;
      let sent = true;
      try {
        if (options.signal?.aborted) {
          sent = false;
          result = { ok: false, error: cancelled(attempt) };
        } else result = await this.attempt(method, path, options, deadline);
      } finally {
        release(sent);
      }
      if (result.ok) return result.response;
      const { error, retryAfter } = result;
      const outcome: Outcome =
        error.status !== undefined ? { status: error.status, retryAfter } : { failure: failureOf(error) };
      // MOCO's own 500 may come after it stored the write: a create must not be retried as if not.
      if (method !== "GET" && mayHaveReached(outcome)) unsure = true;
      const now = Date.now();
      const decision = decideRetry(this.rules, {
        method,
        attempt,
        outcome,
        earlier500s,
        now,
        deadline,
        random: Math.random(),
      });
      if (error.status === 500) earlier500s++;
      if (decision.pauseMs !== undefined) spend.pause(decision.pauseMs);
      const failure = withDecision(error.with({ attempts: attempt }), decision, this.rules.maxRetryAfterMs);
      if (!decision.retry) throw finalize(failure, method, unsure, decision.reason === "exhausted");
      const delayMs = decision.delayMs;
      options.onRetry?.({ method, path, attempt, delayMs, reason: failure.message });
      try {
        await sleep(delayMs, options.signal);
      } catch {
        throw finalize(cancelled(attempt), method, unsure);
      }
    }
  }

  /** A slot in the budget, or the error the caller sees when none comes in time. */
  private async take(
    spend: RateBudget,
    deadline: number,
    signal: AbortSignal | undefined,
    attempt: number,
    method: Method,
    unsure: boolean,
  ): Promise<Release> {
    try {
      return await spend.take({ deadline, signal });
    } catch (error) {
      if (!(error instanceof RateBudgetExceeded)) throw finalize(cancelled(attempt), method, unsure);
      if (Date.now() >= deadline) {
        const message = "The tool call ran out of time waiting for MOCO's rate budget";
        throw finalize(new MocoError({ kind: "timeout", message, attempts: attempt }), method, unsure);
      }
      const { limit, windowMs } = this.budget.rate;
      const seconds = Math.ceil(error.retryAfterMs / 1000);
      const refusal = new MocoError({
        kind: "rate_limited",
        message: error.why
          ? `Nothing was sent to MOCO: its rate budget is ${error.why}; retry in ${seconds} s`
          : `The MOCO rate budget is exhausted (${limit} requests per ${windowMs / 1000} s); retry in ${seconds} s`,
        retryAfterSeconds: seconds,
        attempts: attempt,
      });
      throw finalize(refusal, method, unsure);
    }
  }

  /** One attempt; a write is tracked until its answer arrives (drain). */
  private attempt(method: Method, path: string, options: CallOptions, deadline: number): Promise<Attempt> {
    const request = {
      method,
      url: this.url(path, options.query),
      body: options.body,
      signal: options.signal,
      deadline,
    };
    const done = send(this.connection, request);
    if (method === "GET") return done;
    this.pending.set(done, { method, path });
    const forget = () => this.pending.delete(done);
    done.then(forget, forget);
    return done;
  }
}

function failureOf(error: MocoError): "network" | "timeout" | "cancelled" {
  return error.kind === "timeout" || error.kind === "cancelled" ? error.kind : "network";
}

/** The failure as the policy left it: a Retry-After beyond the cap dropped (and said), the wait to name. */
function withDecision(error: MocoError, decision: Decision, capMs: number): MocoError {
  let failure = error;
  const asked = decision.ignoredRetryAfterSeconds;
  if (asked !== undefined) {
    const shown = asked > 1e9 ? "an absurdly long time" : `${asked} s`;
    failure = failure.with({
      retryAfterSeconds: undefined,
      message: `${failure.message} (MOCO asked to wait ${shown}, beyond the ${Math.round(capMs / 1000)} s cap; treated as an answer without Retry-After)`,
    });
  }
  if (!decision.retry && decision.reason === "exhausted")
    failure = failure.with({ retryAfterSeconds: decision.waitSeconds });
  return failure;
}

/**
 * The error the caller sees. `unsure`: a write may have reached MOCO although no answer came
 * back (a dropped connection, a timeout, a gateway 502/504 that gave up waiting on MOCO, or MOCO's
 * own 500, which may come after the write was stored).
 */
function finalize(error: MocoError, method: Method, unsure: boolean, exhausted = false): MocoError {
  const tries = error.attempts > 1 ? ` after ${error.attempts} attempts` : "";
  const wait = exhausted && error.retryAfterSeconds ? `; wait about ${error.retryAfterSeconds} s` : "";
  return error.with({
    message: `${error.message}${tries}${wait}`,
    mayHaveSucceeded: method !== "GET" && (unsure || error.mayHaveSucceeded),
  });
}
