import type { ServerResponse } from "node:http";
import { sendJson } from "../../web/respond.js";

/** A refusal before MCP sees the request: an HTTP status, a JSON-RPC error body, extra headers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** The JSON-RPC error code in the body. */
    readonly code = status >= 500 ? -32603 : -32000,
  ) {
    super(message);
  }
}

/** Refusals after which the connection is closed, whatever the client still sends. */
const CLOSE_AFTER = new Set([401, 403, 408, 413]);

export function sendError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = { ...error.headers };
  // The body may still be on its way, slowly: a client without a token must not hold the socket.
  if (CLOSE_AFTER.has(error.status)) {
    headers.Connection = "close";
    const socket = res.req.socket;
    res.once("finish", () => {
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
  }
  const body = { jsonrpc: "2.0", error: { code: error.code, message: error.message }, id: null };
  sendJson(res, error.status, body, headers);
}
