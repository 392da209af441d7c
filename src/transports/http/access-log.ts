import type { IncomingMessage, ServerResponse } from "node:http";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { log } from "../../log.js";

/**
 * The access log: one line per request (per call of a batch), with method, the endpoint's path (no
 * query: it may carry codes), status, duration and, for MCP, each call's method, tool and outcome.
 * Never headers, never bodies, never credentials.
 */
export type Access = {
  /** Each JSON-RPC message of the body, with its outcome once answered. */
  calls?: Call[];
  tenant?: string;
};

export interface Call {
  id?: string | number;
  rpc: string;
  tool?: string;
  /** "ok", "tool_error", "error -32602", "notification"; "no answer" until one is sent. */
  outcome: string;
}

/** Each message's method and, for tools/call, tool name, if they look like names (no log injection). */
export function describeRpc(body: unknown): Call[] {
  const name = (v: unknown) => (typeof v === "string" && /^[\w./-]{1,64}$/.test(v) ? v : undefined);
  const list = Array.isArray(body) ? body : [body];
  return list.map((m: { id?: unknown; method?: unknown; params?: { name?: unknown } } | null) => {
    const rpc = name(m?.method) ?? "(invalid)";
    const tool = rpc === "tools/call" ? (name(m?.params?.name) ?? "(invalid)") : undefined;
    const id = typeof m?.id === "string" || typeof m?.id === "number" ? m.id : undefined;
    return { id, rpc, ...(tool ? { tool } : {}), outcome: id === undefined ? "notification" : "no answer" };
  });
}

/** Notes the outcome of a call when its answer goes out. */
export function record(calls: Call[] | undefined, message: JSONRPCMessage): void {
  if (!calls || !("id" in message)) return;
  const call = calls.find((c) => c.id === message.id && c.outcome === "no answer");
  if (!call) return;
  if ("error" in message) call.outcome = `error ${message.error.code}`;
  else if ("result" in message) call.outcome = message.result.isError === true ? "tool_error" : "ok";
}

export function pathOf(url: string | undefined): string {
  const path = (url ?? "/").split("?")[0] as string;
  return path.length > 200 || /[^\x21-\x7e]/.test(path) ? "(unprintable path)" : path;
}

/**
 * Starts the entry of one request; it is written when the response closes, finished or not.
 * Returns what the handlers fill in as they learn it.
 */
export function logAccess(req: IncomingMessage, res: ServerResponse): Access {
  const started = performance.now();
  // Read now: a router mounted on the way (OAuth's) rewrites req.url, which would log /register as /.
  const path = pathOf(req.url);
  const access: Access = {};
  res.once("close", () => {
    const ms = Math.round(performance.now() - started);
    const status = res.writableFinished ? res.statusCode : `${res.statusCode} (aborted)`;
    const line = `${req.method} ${path} ${status} ${ms}ms`;
    const tenant = access.tenant ? { tenant: access.tenant } : {};
    const calls = access.calls ?? [];
    if (calls.length === 0) log("info", line, access.tenant ? tenant : undefined);
    // One line per call of a batch, so a batch of deletes reads as what it was.
    calls.forEach((c, i) => {
      const batch = calls.length > 1 ? { batch: `${i + 1}/${calls.length}` } : {};
      const tool = c.tool ? { tool: c.tool } : {};
      log("info", line, { rpc: c.rpc, ...tool, outcome: c.outcome, ...batch, ...tenant });
    });
  });
  return access;
}
