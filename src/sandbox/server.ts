// One request's way through the sandbox: record → auth → rate limit → fault → read-only key → body checks
// → route. Routes return a Reply instead of writing, so that a fault can still deliver a fully computed
// answer late (slow), half (reset_after_commit) or not at all (reset).

import type { IncomingMessage, ServerResponse } from "node:http";
import { faultReply, rateLimitReply } from "./fault-replies.js";
import { type Fault, takeFault } from "./faults.js";
import { empty, message, type Reply, readBody } from "./http-util.js";
import type { SlidingWindow } from "./rate-limit.js";
import { dispatch } from "./routes.js";
import type { SandboxStore } from "./store.js";

export const API_PREFIX = "/api/v1";
const MAX_BODY_BYTES = 1024 * 1024;
const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface RecordedRequest {
  method: string;
  /** Without the /api/v1 prefix, e.g. "/deals/12". */
  path: string;
  /** The query string without "?", e.g. "status=won&page=2". */
  query: string;
  /** Parsed JSON body; the raw text if it was not JSON; undefined without a body. */
  body: unknown;
  /** Status sent; 0 when the request got no answer (reset fault, or the client left during a slow fault). */
  status: number;
}

export interface SandboxStats {
  requests: number;
  rateLimited: number;
  maxConcurrent: number;
}

/** Shared with the Sandbox object: tests may push faults or read requests and stats at any time. */
export interface LiveState {
  faults: Fault[];
  requests: RecordedRequest[];
  stats: SandboxStats;
  /** true: the key was revoked in MOCO, every request answers 401. */
  keyRevoked: boolean;
}

export interface ServerState {
  store: SandboxStore;
  apiKey: string;
  staff: boolean;
  readOnlyKey: boolean;
  limiter: SlidingWindow | undefined;
  live: LiveState;
  /** Response headers never sent (lower case), e.g. to play a MOCO that omits X-Total. */
  omitHeaders: ReadonlySet<string>;
  /** Aborted when the sandbox closes, so that slow faults stop waiting. */
  shutdown: AbortSignal;
}

/** How an answer is delivered: whole, cut off after the status line and half the body, or not at all. */
type Outcome = { deliver: "whole" | "cut"; reply: Reply } | { deliver: "none" };

export function createRequestHandler(state: ServerState) {
  let inFlight = 0;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const { stats } = state.live;
    stats.requests++;
    inFlight++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, inFlight);
    res.once("close", () => inFlight--);
    // handle() answers its own errors with 500; this only catches a failure while writing that answer.
    handle(state, req, res).catch(() => res.destroy());
  };
}

async function handle(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", "http://sandbox.invalid");
  const apiPath = toApiPath(url.pathname);
  const record: RecordedRequest = {
    method,
    path: apiPath ?? url.pathname,
    query: url.searchParams.toString(),
    body: undefined,
    status: 0,
  };
  state.live.requests.push(record);
  const raw = await readBody(req, MAX_BODY_BYTES).catch(() => undefined);
  if (!raw) return; // the client went away while sending
  record.body = raw.text === "" ? undefined : (parseJson(raw.text) ?? raw.text);

  const outcome = await decide(state, req, res, { method, apiPath, query: url.searchParams, raw }).catch(
    (): Outcome => ({ deliver: "whole", reply: message(500, "Internal Server Error") }),
  );
  if (outcome.deliver === "none") {
    req.socket.destroy();
    return;
  }
  record.status = outcome.reply.status;
  const reply = withoutHeaders(outcome.reply, state.omitHeaders);
  if (outcome.deliver === "whole") send(res, reply);
  else cut(res, reply);
}

interface Incoming {
  method: string;
  apiPath: string | undefined;
  query: URLSearchParams;
  raw: { text: string; tooLarge: boolean };
}

async function decide(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  r: Incoming,
): Promise<Outcome> {
  const whole = (reply: Reply): Outcome => ({ deliver: "whole", reply });
  const { apiPath } = r;
  if (apiPath === undefined) return whole(empty(404));
  if (state.live.keyRevoked || presentedKey(req.headers.authorization) !== state.apiKey)
    return whole(message(401, "Unauthorized"));
  if (state.limiter && !state.limiter.tryAcquire()) {
    state.live.stats.rateLimited++;
    return whole(rateLimitReply());
  }
  const fault = takeFault(state.live.faults, r.method, apiPath, r.query);
  let deliver: "whole" | "cut" = "whole";
  if (fault) {
    switch (fault.kind) {
      case "rate_limit":
        state.live.stats.rateLimited++;
        return whole(rateLimitReply(fault.retryAfter));
      case "reset":
        return { deliver: "none" };
      case "slow":
        if (!(await pause(fault.delayMs ?? 1000, res, state.shutdown))) return { deliver: "none" };
        break;
      case "reset_after_commit":
        deliver = "cut";
        break;
      default:
        return whole(faultReply(fault, state.store));
    }
  }
  return { deliver, reply: route(state, req, r, apiPath) };
}

function route(state: ServerState, req: IncomingMessage, r: Incoming, apiPath: string): Reply {
  // A read-only account key may read everything and write nothing: 403 with an empty body.
  if (state.readOnlyKey && WRITE_METHODS.has(r.method)) return empty(403);
  let body: unknown;
  if (r.raw.tooLarge) return message(413, "Payload too large");
  if (r.raw.text.trim() !== "") {
    const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") return message(415, "Content-Type must be application/json");
    body = parseJson(r.raw.text);
    if (body === undefined) return message(422, "Invalid payload");
  }
  const selfUrl = `http://${req.headers.host ?? "127.0.0.1"}${API_PREFIX}${apiPath}`;
  return dispatch(r.method, apiPath, {
    store: state.store,
    query: r.query,
    body,
    selfUrl,
    staff: state.staff,
  });
}

/** "/api/v1/deals/12/" or "/api/v1/deals/12.json" → "/deals/12"; undefined outside the API. */
function toApiPath(pathname: string): string | undefined {
  if (pathname !== API_PREFIX && !pathname.startsWith(`${API_PREFIX}/`)) return undefined;
  const rest = pathname
    .slice(API_PREFIX.length)
    .replace(/\.json$/, "")
    .replace(/\/+$/, "");
  return rest === "" ? "/" : rest;
}

/** Accepts MOCO's documented `Token token=KEY` (quoted or not) and `Bearer KEY`. */
function presentedKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const token = /^Token\s+token="?([^"\s]+)"?\s*$/i.exec(header);
  return token?.[1] ?? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function withoutHeaders(reply: Reply, omit: ReadonlySet<string>): Reply {
  if (omit.size === 0 || !reply.headers) return reply;
  const headers = Object.fromEntries(
    Object.entries(reply.headers).filter(([k]) => !omit.has(k.toLowerCase())),
  );
  return { ...reply, headers };
}

/** Waits `ms`; false if the client disconnected (or the sandbox closed) in the meantime. */
function pause(ms: number, res: ServerResponse, shutdown: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off("close", gone);
      shutdown.removeEventListener("abort", gone);
      resolve(ok);
    };
    const gone = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    res.once("close", gone);
    shutdown.addEventListener("abort", gone, { once: true });
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  const body = reply.body === undefined ? undefined : Buffer.from(reply.body);
  res.writeHead(reply.status, { ...reply.headers, "Content-Length": String(body?.length ?? 0) });
  res.end(body);
}

/**
 * The reset_after_commit delivery: status line, headers announcing the full length, half the body, then
 * the socket dies. The write has happened; the client only sees a broken response.
 */
function cut(res: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body ?? "");
  if (body.length < 2 || !res.socket) {
    res.socket?.destroy();
    return;
  }
  res.writeHead(reply.status, { ...reply.headers, "Content-Length": String(body.length) });
  const socket = res.socket;
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => socket.destroy());
}
