import type { IncomingMessage, ServerResponse } from "node:http";

/** Small node:http helpers for the OAuth pages: bounded form bodies, cookies, JSON, redirects. */

export class FormError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** An urlencoded form of at most `limit` bytes; a field sent twice is refused. */
export async function readForm(req: IncomingMessage, limit: number): Promise<Map<string, string>> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded")
    throw new FormError(415, "This form must be sent as a web form.");
  const body = await readBody(req, limit, "The form is too large.");
  const fields = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(body.toString("utf8"))) {
    if (fields.has(key)) throw new FormError(400, "The form was sent with a repeated field.");
    fields.set(key, value);
  }
  return fields;
}

/**
 * The request body, refused (413) past `limit` bytes as counted while reading: a declared
 * Content-Length is checked first, a chunked body as it arrives.
 */
export async function readBody(req: IncomingMessage, limit: number, tooLarge: string): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw new FormError(413, tooLarge);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new FormError(413, tooLarge);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export { sendJson } from "../web/respond.js";

/** A redirect to the client; its URL carries the code, so nothing may cache or refer it on. */
export function redirect(res: ServerResponse, location: string, setCookie?: string): void {
  res.writeHead(302, {
    Location: location,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    ...(setCookie ? { "Set-Cookie": setCookie } : {}),
  });
  res.end();
}

/**
 * The address a per-client limit counts against. Behind a reverse proxy every request comes from
 * the proxy, so with `trustProxy` the X-Forwarded-For entry that many hops from the right is taken
 * (true: the leftmost), as Express does for its own limits.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean | number | undefined): string {
  const direct = req.socket.remoteAddress ?? "unknown";
  if (!trustProxy) return direct;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (hops.length === 0) return direct;
  if (trustProxy === true) return hops[0] as string;
  return hops[Math.max(0, hops.length - trustProxy)] as string;
}

/** A fixed-window counter per address, bounded in memory (oldest addresses forgotten first). */
export class Attempts {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Counts one attempt; false when the address is over its budget. */
  take(address: string): boolean {
    const now = this.now();
    let w = this.windows.get(address);
    if (!w || w.resetAt <= now) {
      this.windows.delete(address);
      w = { count: 0, resetAt: now + this.windowMs };
      if (this.windows.size >= 10_000) this.windows.delete(this.windows.keys().next().value as string);
      this.windows.set(address, w);
    }
    w.count++;
    return w.count <= this.max;
  }

  /** Milliseconds until the address's window starts afresh (0 when it has none). */
  resetIn(address: string): number {
    const w = this.windows.get(address);
    return w ? Math.max(0, w.resetAt - this.now()) : 0;
  }
}
