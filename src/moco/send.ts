import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import type { Dispatcher } from "undici";
import { quoted } from "../text.js";
import { errorFromResponse, MocoError, redirectError } from "./errors.js";
import type { Method } from "./retry-policy.js";

/**
 * One attempt at MOCO over undici: one request, its answer read (unpacked, size-capped, parsed,
 * checked) into data or a MocoError. No retries, no budget: the client adds those around it.
 */
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

/** The answer, or the failure with MOCO's Retry-After (raw) when an answer carried one. */
export type Attempt =
  | { ok: true; response: MocoResponse }
  | { ok: false; error: MocoError; retryAfter?: string };

/** What every attempt of one client shares. */
export interface Connection {
  apiKey: string;
  userAgent: string;
  pool: Pool;
  /** Deadline for one attempt. */
  requestTimeoutMs: number;
  /** The cap on a body, unpacked. */
  maxResponseBytes: number;
}

export interface SendRequest {
  method: Method;
  url: URL;
  body?: unknown;
  /** The caller's cancellation: a GET follows it; a write already sent runs to its answer. */
  signal?: AbortSignal;
  /** Epoch ms by which the whole call must be done: this attempt gives up by then too. */
  deadline: number;
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

export async function send(connection: Connection, request: SendRequest): Promise<Attempt> {
  const { method, deadline } = request;
  const timeoutMs = Math.max(1, Math.min(connection.requestTimeoutMs, deadline - Date.now()));
  // One controller per attempt, its timer cleared as soon as the answer is in: AbortSignal.timeout
  // and AbortSignal.any would keep every attempt's signal alive for the full timeout.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  // Only a read follows the caller's cancellation: a write already sent runs to its answer.
  const caller = method === "GET" ? request.signal : undefined;
  const onCancel = () => controller.abort();
  caller?.addEventListener("abort", onCancel, { once: true });
  if (caller?.aborted) controller.abort();
  try {
    return await exchange(connection, request, controller.signal);
  } catch (error) {
    if (error instanceof MocoError) return { ok: false, error };
    if (caller?.aborted) return { ok: false, error: cancelled(1) };
    if (timedOut) {
      const message = `MOCO did not answer within ${timeoutMs} ms`;
      return { ok: false, error: new MocoError({ kind: "timeout", message }) };
    }
    return { ok: false, error: networkError(error) };
  } finally {
    clearTimeout(timer);
    caller?.removeEventListener("abort", onCancel);
  }
}

async function exchange(connection: Connection, request: SendRequest, signal: AbortSignal): Promise<Attempt> {
  const { method } = request;
  const headers: Record<string, string> = {
    authorization: `Token token=${connection.apiKey}`,
    accept: "application/json",
    "user-agent": connection.userAgent,
  };
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers["content-type"] = "application/json";
  }
  const dispatcher = await connection.pool.get();
  const res = await (await undici()).request(request.url, { method, headers, body, signal, dispatcher });
  const header = (name: string) => {
    const v = res.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const status = res.statusCode;
  const ok = status >= 200 && status < 300;
  let text = "";
  try {
    text = await readBody(
      res.body,
      header("content-encoding"),
      connection.maxResponseBytes,
      status,
      Number(header("content-length")),
    );
  } catch (error) {
    // An error answer stays that error when its body is too large or does not unpack.
    if (ok || !(error instanceof MocoError)) throw error;
  }
  // Only a 2xx is a success; a 3xx is not followed (undici.request never does).
  if (status >= 300 && status < 400) return { ok: false, error: redirectError(status, method) };
  if (!ok) {
    const retryAfter = header("retry-after");
    const error = scrub(errorFromResponse(status, text, retryAfter), connection.apiKey);
    return { ok: false, error, retryAfter };
  }
  let data: unknown = null;
  if (text.trim() !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      const message = `MOCO sent a response that is not valid JSON (status ${status})`;
      return { ok: false, error: new MocoError({ kind: "server", status, message }) };
    }
  }
  // Bounded depth (no stack overflow downstream) and no echo of our own key reaches the caller.
  const checked = checkData(data, connection.apiKey);
  if (!checked.ok)
    return { ok: false, error: new MocoError({ kind: "server", status, message: checked.message }) };
  return { ok: true, response: { data: checked.data, status, page: parsePage(header) } };
}

/** MOCO's error bodies are shown to the model; they must never carry this client's key. */
function scrub(error: MocoError, key: string): MocoError {
  if (key.length < 4) return error;
  const clean = (text: string) => text.split(key).join("[redacted]");
  const fields = Object.fromEntries(Object.entries(error.fields).map(([f, m]) => [clean(f), m.map(clean)]));
  const upstream = error.upstream === undefined ? undefined : clean(error.upstream);
  return error.with({ message: clean(error.message), fields, upstream });
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

export function cancelled(attempts: number): MocoError {
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

/** HTTP's "deflate" is zlib-wrapped, but some servers send it raw: the first bytes tell which. */
const isZlib = (first?: Buffer) =>
  first === undefined ||
  (first.length > 0 &&
    ((first[0] as number) & 0x0f) === 8 &&
    (first.length < 2 || ((first[0] as number) * 256 + (first[1] as number)) % 31 === 0));

/** A decoder for one coding; `first`: the first bytes it will see, when known. */
type Decoder = (first?: Buffer) => zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress;
const DECODERS: Record<string, Decoder> = {
  gzip: () => zlib.createGunzip(),
  "x-gzip": () => zlib.createGunzip(),
  deflate: (first) => (isZlib(first) ? zlib.createInflate() : zlib.createInflateRaw()),
  br: () => zlib.createBrotliDecompress(),
};

/**
 * The body as text, its Content-Encoding undone (last applied, first undone) by node:zlib's streams
 * as it arrives. undici.request does not decompress and this client asks for no encoding, but MOCO
 * or a proxy in front of it may compress anyway. `max` caps the body as unpacked, counted while it
 * streams: a small bomb is stopped at the cap, never unpacked whole.
 */
async function readBody(
  body: AsyncIterable<Buffer> & { destroy(): void },
  encoding: string | undefined,
  max: number,
  status: number,
  declared = Number.NaN,
): Promise<string> {
  // A body that says up front it is too large is refused without reading it (at any speed).
  if (declared > max) {
    body.destroy();
    throw tooLarge(max, status);
  }
  const codings = (encoding ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity")
    .reverse();
  const chunks: Buffer[] = [];
  let size = 0;
  const keep = (chunk: Buffer, unpacked = "") => {
    size += chunk.length;
    if (size > max) throw tooLarge(max, status, unpacked);
    chunks.push(chunk);
  };
  const source = body[Symbol.asyncIterator]();
  try {
    const first = await source.next();
    if (first.done) return "";
    if (codings.length === 0) {
      keep(first.value);
      for (let next = await source.next(); !next.done; next = await source.next()) keep(next.value);
    } else {
      await unpack(first.value, source, codings, status, (chunk) => keep(chunk, " unpacked"));
    }
  } catch (error) {
    body.destroy();
    throw error;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The raw body (its first chunk read already) through one zlib stream per coding into `keep`. */
async function unpack(
  first: Buffer,
  rest: AsyncIterator<Buffer>,
  codings: string[],
  status: number,
  keep: (chunk: Buffer) => void,
): Promise<void> {
  const unknown = codings.find((c) => !DECODERS[c]);
  if (unknown !== undefined) {
    throw new MocoError({
      kind: "server",
      status,
      message: `MOCO sent its answer (status ${status}) with Content-Encoding ${quoted(unknown, 40)}, which this server cannot unpack`,
    });
  }
  let failed: string | undefined;
  const stages = codings.map((coding, i) => {
    const stage = (DECODERS[coding] as Decoder)(i === 0 ? first : undefined);
    stage.once("error", () => {
      failed ??= coding;
    });
    return stage;
  });
  let lost: unknown;
  async function* raw() {
    yield first;
    try {
      for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
    } catch (error) {
      lost = error;
      throw error;
    }
  }
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      try {
        keep(chunk);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
  try {
    await pipeline([Readable.from(raw()), ...stages, sink]);
  } catch (error) {
    // A connection lost mid-body reaches the decoders too; that is not a body that fails to unpack.
    if (error instanceof MocoError || failed === undefined || error === lost) throw error;
    throw new MocoError({
      kind: "server",
      status,
      message: `MOCO sent its answer (status ${status}) marked Content-Encoding ${failed}, but it does not unpack`,
    });
  }
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
