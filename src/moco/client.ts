import { createHmac } from "node:crypto";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { Dispatcher } from "undici";
import { quoted } from "../text.js";
import { errorFromResponse, MocoError, redirectError } from "./errors.js";
import { RateBudgetExceeded, type RateLimit, RateLimiter, type Release, sleep } from "./rate-limit.js";
import { scopeKey } from "./scope.js";

/**
 * The whole HTTP layer for MOCO: builds URLs, authenticates, keeps to the rate budget, retries
 * what is safe to retry and turns every outcome into data or a MocoError. Knows nothing of MCP.
 */
export interface MocoClientOptions {
  baseUrl: string;
  apiKey: string;
  userAgent: string;
  /** Deadline for one HTTP attempt. */
  requestTimeoutMs: number;
  rateLimit: RateLimit;
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  maxResponseBytes?: number;
  /** A pool shared with other clients (every key of one account): this client never closes it. */
  pool?: Pool;
  /**
   * The budget of the MOCO account, shared by every key of it (per-request credentials): each
   * request takes a slot here as well as in this client's own limiter.
   */
  accountLimiter?: RateLimiter;
  /** Longest wait one answer (Retry-After) may impose; default the rate window. */
  maxRetryAfterMs?: number;
}

/** A write sent to MOCO whose answer has not arrived yet. */
export interface PendingWrite {
  method: "POST" | "PUT" | "DELETE";
  path: string;
}

export type Query = Record<string, string | number | boolean | undefined | string[]>;
type Method = "GET" | "POST" | "PUT" | "DELETE";

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
}

export interface RetryEvent {
  method: string;
  path: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface PageInfo {
  page: number | null;
  perPage: number | null;
  total: number | null;
  nextPage: number | null;
}

export interface MocoResponse {
  data: unknown;
  page: PageInfo;
  status: number;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
/**
 * A plain 500 is retried once (not POST): often a passing fault on MOCO's side, while one that comes
 * back again is likely caused by the request itself, and repeating it only spends the budget.
 */
const RETRIES_OF_500 = 1;

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

let loading: Promise<typeof import("undici")> | undefined;
const undici = () => {
  loading ??= import("undici");
  return loading;
};

/** Connections to one MOCO account, opened on first use: undici is loaded then, not at start. */
export interface Pool {
  get(): Promise<Dispatcher>;
  /** `cut`: end requests still running instead of waiting for them. */
  close(cut: boolean): Promise<void>;
}

export function pool(connections: number, keepAliveTimeout = 30_000): Pool {
  let agent: Promise<Dispatcher> | undefined;
  return {
    get: () =>
      (agent ??= undici().then(({ Agent }) => new Agent({ keepAliveTimeout, connections, pipelining: 1 }))),
    async close(cut) {
      if (!agent) return;
      const opened = await agent;
      await (cut ? opened.destroy() : opened.close());
    },
  };
}

export class MocoClient {
  readonly limiter: RateLimiter;
  private readonly pool: Pool;
  private readonly base: URL;
  private readonly pending = new Map<Promise<unknown>, PendingWrite>();
  private readonly uncertain = new Set<(write: PendingWrite) => void>();
  private lastUncertain: number | undefined;

  /**
   * Which credentials this client speaks for, without them: the base URL and 64 bits of the key's
   * SHA-256. Keys of one account may see different leads, so mirrors and caches are kept per scope.
   */
  readonly scope: string;

  constructor(private readonly options: MocoClientOptions) {
    this.base = new URL(options.baseUrl.replace(/\/+$/, ""));
    this.scope = scopeKey(options.baseUrl, options.apiKey);
    this.limiter = new RateLimiter(options.rateLimit);
    this.pool = options.pool ?? pool(8);
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
    if (!this.options.pool) await this.pool.close(this.pending.size > 0);
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
   * the unsubscribe.
   */
  onUncertainWrite(listener: (write: PendingWrite) => void): () => void {
    this.uncertain.add(listener);
    return () => this.uncertain.delete(listener);
  }

  /** For a caller that finds a write's 2xx answer unusable: MOCO did it, what it stored is unknown. */
  reportUncertain(write: PendingWrite): void {
    this.lastUncertain = Date.now();
    for (const listener of this.uncertain) listener(write);
  }

  /** When this client last had a write of unknown outcome (ms), for a listener that came later. */
  get lastUncertainAt(): number | undefined {
    return this.lastUncertain;
  }

  async call(method: Method, path: string, options: CallOptions = {}): Promise<MocoResponse> {
    try {
      return await this.attempts(method, path, options);
    } catch (error) {
      if (method !== "GET" && error instanceof MocoError && error.mayHaveSucceeded) {
        this.reportUncertain({ method, path });
      }
      throw error;
    }
  }

  private async attempts(method: Method, path: string, options: CallOptions): Promise<MocoResponse> {
    const maxRetries = this.options.maxRetries ?? 3;
    const deadline = options.deadline ?? Date.now() + this.options.requestTimeoutMs * (maxRetries + 1);
    const { limit, windowMs } = this.options.rateLimit;
    // A create is only repeated when MOCO said it did not process it (429). After a timeout or a
    // reset the lead may exist, and a second POST would duplicate it.
    const idempotent = method !== "POST";
    // Whether some attempt may have reached MOCO without us seeing the answer.
    let unsure = false;
    let retried500 = 0;
    for (let attempt = 1; ; attempt++) {
      let release: Release;
      try {
        release = await this.acquire(deadline, options.signal);
      } catch (error) {
        if (!(error instanceof RateBudgetExceeded)) throw this.finalize(cancelled(attempt), method, unsure);
        if (Date.now() >= deadline) {
          const message = "The tool call ran out of time waiting for MOCO's rate budget";
          throw this.finalize(new MocoError({ kind: "timeout", message, attempts: attempt }), method, unsure);
        }
        const seconds = Math.ceil(error.retryAfterMs / 1000);
        throw this.finalize(
          new MocoError({
            kind: "rate_limited",
            message: `The MOCO rate budget is exhausted (${limit} requests per ${windowMs / 1000} s); retry in ${seconds} s`,
            retryAfterSeconds: seconds,
            attempts: attempt,
          }),
          method,
          unsure,
        );
      }
      let failure: MocoError;
      let sent = true;
      try {
        if (options.signal?.aborted) {
          sent = false;
          throw cancelled(attempt);
        }
        return await this.attempt(method, path, options, deadline);
      } catch (error) {
        if (!(error instanceof MocoError)) throw error;
        failure = this.capWait(error.with({ attempts: attempt }));
      } finally {
        release(sent);
      }
      const lost =
        failure.kind === "network" ||
        failure.kind === "timeout" ||
        failure.status === 502 ||
        failure.status === 504;
      // MOCO's own 500 may come after it stored the write: a create must not be retried as if not.
      if (method !== "GET" && (lost || failure.status === 500)) unsure = true;
      const again500 = failure.status === 500 && retried500++ < RETRIES_OF_500;
      const retryable =
        failure.kind === "rate_limited" ||
        (idempotent &&
          ((failure.status !== undefined && RETRY_STATUS.has(failure.status)) || lost || again500));
      if (failure.kind === "cancelled" || !retryable) throw this.finalize(failure, method, unsure);
      // MOCO sends no Retry-After with its 429: its window is long, so back off at least a few
      // requests' worth of it, and hold every other caller back as well.
      const noHint = failure.status === 429 && failure.retryAfterSeconds === undefined;
      const backoff = noHint
        ? Math.max(this.backoff(attempt), (4 * windowMs) / limit)
        : this.backoff(attempt, failure.retryAfterSeconds);
      if (failure.status === 429) {
        this.limiter.pause(backoff);
        this.options.accountLimiter?.pause(backoff);
      }
      if (attempt > maxRetries || Date.now() + backoff >= deadline) {
        const wait = noHint ? Math.ceil(windowMs / 2000) : Math.ceil(backoff / 1000);
        throw this.finalize(failure.with({ retryAfterSeconds: wait }), method, unsure, true);
      }
      options.onRetry?.({ method, path, attempt, delayMs: backoff, reason: failure.message });
      try {
        await sleep(backoff, options.signal);
      } catch {
        throw this.finalize(cancelled(attempt), method, unsure);
      }
    }
  }

  /** A slot in this client's budget and, when shared, in its account's; both or neither. */
  private async acquire(deadline: number, signal?: AbortSignal): Promise<Release> {
    const own = await this.limiter.acquire(deadline, signal);
    const account = this.options.accountLimiter;
    if (!account) return own;
    try {
      const shared = await account.acquire(deadline, signal);
      return (used) => {
        own(used);
        shared(used);
      };
    } catch (error) {
      own(false);
      throw error;
    }
  }

  /**
   * A Retry-After beyond the cap (999999999 s, a date in 9999) would stop every call until a restart:
   * it is dropped, and the answer treated as a bare 429 (or 5xx) with MOCO's own window.
   */
  private capWait(error: MocoError): MocoError {
    const seconds = error.retryAfterSeconds;
    const capMs = this.options.maxRetryAfterMs ?? this.options.rateLimit.windowMs;
    if (seconds === undefined || seconds * 1000 <= capMs) return error;
    const shown = seconds > 1e9 ? "an absurdly long time" : `${seconds} s`;
    return error.with({
      retryAfterSeconds: undefined,
      message: `${error.message} (MOCO asked to wait ${shown}, beyond the ${Math.round(capMs / 1000)} s cap; treated as an answer without Retry-After)`,
    });
  }

  private backoff(attempt: number, retryAfterSeconds?: number): number {
    if (retryAfterSeconds !== undefined) return retryAfterSeconds * 1000;
    const base = this.options.retryBaseMs ?? 500;
    const cap = this.options.retryMaxMs ?? 8000;
    const exp = Math.min(cap, base * 2 ** (attempt - 1));
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  /**
   * The error the caller sees. `unsure`: a write may have reached MOCO although no answer came
   * back (a dropped connection, a timeout, a gateway 502/504 that gave up waiting on MOCO, or MOCO's
   * own 500, which may come after the write was stored).
   */
  private finalize(error: MocoError, method: Method, unsure: boolean, exhausted = false): MocoError {
    const tries = error.attempts > 1 ? ` after ${error.attempts} attempts` : "";
    const wait = exhausted && error.retryAfterSeconds ? `; wait about ${error.retryAfterSeconds} s` : "";
    return error.with({
      message: `${error.message}${tries}${wait}`,
      mayHaveSucceeded: method !== "GET" && (unsure || error.mayHaveSucceeded),
    });
  }

  /** MOCO's error bodies are shown to the model; they must never carry this client's key. */
  private scrub(error: MocoError): MocoError {
    const key = this.options.apiKey;
    if (key.length < 4) return error;
    const clean = (text: string) => text.split(key).join("[redacted]");
    const fields = Object.fromEntries(Object.entries(error.fields).map(([f, m]) => [clean(f), m.map(clean)]));
    const upstream = error.upstream === undefined ? undefined : clean(error.upstream);
    return error.with({ message: clean(error.message), fields, upstream });
  }

  private attempt(method: Method, path: string, options: CallOptions, deadline: number) {
    if (method === "GET") return this.send(method, path, options, deadline);
    const done = this.send(method, path, options, deadline);
    this.pending.set(done, { method, path });
    const forget = () => this.pending.delete(done);
    done.then(forget, forget);
    return done;
  }

  private async send(
    method: Method,
    path: string,
    options: CallOptions,
    deadline: number,
  ): Promise<MocoResponse> {
    const url = this.url(path, options.query);
    const timeoutMs = Math.max(1, Math.min(this.options.requestTimeoutMs, deadline - Date.now()));
    // One controller per attempt, its timer cleared as soon as the answer is in: AbortSignal.timeout
    // and AbortSignal.any would keep every attempt's signal alive for the full timeout.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    // Only a read follows the caller's cancellation: a write already sent runs to its answer.
    const caller = method === "GET" ? options.signal : undefined;
    const onCancel = () => controller.abort();
    caller?.addEventListener("abort", onCancel, { once: true });
    if (caller?.aborted) controller.abort();
    const signal = controller.signal;
    const headers: Record<string, string> = {
      authorization: `Token token=${this.options.apiKey}`,
      accept: "application/json",
      "user-agent": this.options.userAgent,
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    try {
      const dispatcher = await this.pool.get();
      const { request } = await undici();
      const res = await request(url, { method, headers, body, signal, dispatcher });
      const max = this.options.maxResponseBytes ?? 8 * 1024 * 1024;
      const header = (name: string) => {
        const v = res.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      let text = "";
      try {
        const raw = await readCapped(res.body, max, res.statusCode);
        text = (await decode(raw, header("content-encoding"), max, res.statusCode)).toString("utf8");
      } catch (error) {
        // An error answer stays that error when its body is too large or does not unpack.
        if (ok || !(error instanceof MocoError)) throw error;
      }
      // Only a 2xx is a success; a 3xx is not followed (undici.request never does).
      if (res.statusCode >= 300 && res.statusCode < 400) throw redirectError(res.statusCode, method);
      if (res.statusCode < 200 || res.statusCode >= 400)
        throw this.scrub(errorFromResponse(res.statusCode, text, header("retry-after")));
      let data: unknown = null;
      if (text.trim() !== "") {
        try {
          data = JSON.parse(text);
        } catch {
          throw new MocoError({
            kind: "server",
            status: res.statusCode,
            message: `MOCO sent a response that is not valid JSON (status ${res.statusCode})`,
          });
        }
      }
      // Bounded depth (no stack overflow downstream) and no echo of our own key reaches the caller.
      const checked = checkData(data, this.options.apiKey);
      if (!checked.ok)
        throw new MocoError({ kind: "server", status: res.statusCode, message: checked.message });
      return { data: checked.data, status: res.statusCode, page: parsePage(header) };
    } catch (error) {
      if (error instanceof MocoError) throw error;
      if (caller?.aborted) throw cancelled(1);
      if (timedOut) {
        throw new MocoError({ kind: "timeout", message: `MOCO did not answer within ${timeoutMs} ms` });
      }
      throw networkError(error);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onCancel);
    }
  }
}

/** Deeper than any lead, list or error MOCO sends; far below what recursion downstream survives. */
export const MAX_DEPTH = 64;

type Checked = { ok: true; data: unknown } | { ok: false; message: string };

/**
 * One iterative walk over parsed data: refuses nesting deeper than MAX_DEPTH, naming where, and
 * replaces this client's own key wherever MOCO echoed it (values and keys) so it cannot reach a caller.
 */
export function checkData(data: unknown, apiKey: string): Checked {
  const key = apiKey.length >= 4 ? apiKey : undefined;
  const clean = (text: string) => (key && text.includes(key) ? text.split(key).join("[redacted]") : text);
  if (typeof data === "string") return { ok: true, data: clean(data) };
  const stack: { node: object; path: string[] }[] = [];
  if (data !== null && typeof data === "object") stack.push({ node: data, path: [] });
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: object; path: string[] };
    if (path.length >= MAX_DEPTH) {
      const shown = path.slice(0, 6).join("") + (path.length > 6 ? "…" : "");
      return {
        ok: false,
        message: `MOCO sent data nested more than ${MAX_DEPTH} levels deep (at ${shown.replace(/^\./, "") || "the top"}); this server does not read it`,
      };
    }
    const record = node as Record<string, unknown>;
    for (const name of Object.keys(record)) {
      let value = record[name];
      let field = name;
      if (!Array.isArray(node) && key && name.includes(key)) {
        delete record[name];
        field = clean(name);
        record[field] = value;
      }
      if (typeof value === "string") {
        const cleaned = clean(value);
        if (cleaned !== value) record[field] = value = cleaned;
      } else if (value !== null && typeof value === "object") {
        stack.push({ node: value, path: [...path, segment(node, field)] });
      }
    }
  }
  return { ok: true, data };
}

function segment(parent: object, field: string): string {
  if (Array.isArray(parent)) return `[${field}]`;
  return /^[A-Za-z_][\w-]{0,39}$/.test(field) ? `.${field}` : `[${JSON.stringify(field.slice(0, 40))}]`;
}

function cancelled(attempts: number): MocoError {
  return new MocoError({ kind: "cancelled", message: "The request was cancelled", attempts });
}

function networkError(error: unknown): MocoError {
  const code = (error as { code?: string })?.code;
  const suffix = code ? ` (${code})` : "";
  return new MocoError({
    kind: "network",
    message: `MOCO could not be reached or closed the connection${suffix}`,
  });
}

const tooLarge = (max: number, status: number, unpacked = "") =>
  new MocoError({
    kind: "server",
    status,
    message: `MOCO's response exceeded ${Math.round(max / 1024 / 1024)} MB${unpacked} and was discarded`,
  });

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): void },
  max: number,
  status: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw tooLarge(max, status);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

type Unpack = (data: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Promise<Buffer>;
const gunzip: Unpack = promisify(zlib.gunzip);
const inflate: Unpack = promisify(zlib.inflate);
const inflateRaw: Unpack = promisify(zlib.inflateRaw);
const brotli: Unpack = promisify(zlib.brotliDecompress);
/** HTTP's "deflate" is zlib-wrapped, but some servers send it raw. */
const deflate: Unpack = (data, options) => inflate(data, options).catch(() => inflateRaw(data, options));
const UNPACK: Record<string, Unpack> = { gzip: gunzip, "x-gzip": gunzip, deflate, br: brotli };

/**
 * The body with its Content-Encoding undone (last applied, first undone). undici.request does not
 * decompress and this client asks for no encoding, but MOCO or a proxy in front of it may compress
 * anyway. The cap holds for the unpacked size too, so a small bomb cannot fill the memory.
 */
async function decode(
  raw: Buffer,
  encoding: string | undefined,
  max: number,
  status: number,
): Promise<Buffer> {
  const codings = (encoding ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  let body = raw;
  for (const coding of codings.reverse()) {
    if (body.length === 0) break;
    const unpack = UNPACK[coding];
    if (!unpack) {
      throw new MocoError({
        kind: "server",
        status,
        message: `MOCO sent its answer (status ${status}) with Content-Encoding ${quoted(coding, 40)}, which this server cannot unpack`,
      });
    }
    try {
      body = await unpack(body, { maxOutputLength: max });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        throw tooLarge(max, status, " unpacked");
      throw new MocoError({
        kind: "server",
        status,
        message: `MOCO sent its answer (status ${status}) marked Content-Encoding ${coding}, but it does not unpack`,
      });
    }
  }
  return body;
}

function toInt(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

/** MOCO's pagination headers; any of them may be missing (e.g. /deal_categories sends none). `nextPage` is the next link's page. */
export function parsePage(header: (name: string) => string | undefined): PageInfo {
  const page = toInt(header("x-page"));
  const perPage = toInt(header("x-per-page"));
  const total = toInt(header("x-total"));
  let nextPage: number | null = null;
  const link = header("link");
  const next = link?.split(",").find((part) => /rel="?next"?/.test(part));
  const target = next?.match(/<([^>]+)>/)?.[1];
  if (target) {
    try {
      nextPage = toInt(new URL(target, "http://x").searchParams.get("page") ?? undefined);
    } catch {
      nextPage = null;
    }
    if (nextPage === null && page !== null) nextPage = page + 1;
  }
  // What follows without a next link is decided in one place: nextPage() in pages.ts.
  return { page, perPage, total, nextPage };
}
