import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { MocoClient, type MocoClientOptions } from "../../src/moco/client.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";

/**
 * The one MOCO stand-in of the tests, on 127.0.0.1 port 0, for answers the sandbox never gives (a 302, an
 * absurd Retry-After, data nested 6,000 levels deep, the caller's key echoed in a 200, pages without paging
 * headers or short of X-Total): each test writes its handler; `clientFor` points the real MocoClient at it.
 */
export interface Upstream {
  /** Base URL ending in /api/v1. */
  url: string;
  /** Every request that arrived, in order, with its body once read. */
  requests: { method: string; path: string; body: string }[];
  /** Sockets open now, by the address the client connected to; and the most open at once. */
  open(): string[];
  peak(): number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/** `host` "0.0.0.0" accepts every 127.x address, so one server can stand in for many accounts. */
export async function startUpstream(handler: Handler, host = "127.0.0.1"): Promise<Upstream> {
  const requests: Upstream["requests"] = [];
  const sockets = new Set<Socket>();
  let peak = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    requests.push({ method: req.method ?? "", path: (req.url ?? "").replace(/^\/api\/v1/, ""), body });
    await handler(req, res, body);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    peak = Math.max(peak, sockets.size);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    requests,
    open: () => [...sockets].map((s) => s.localAddress ?? ""),
    peak: () => peak,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const json = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body === undefined ? "" : JSON.stringify(body));
};

export const KEY = "hardening-key-7f3a9c1e5b";

export const clientFor = (url: string, options: Partial<MocoClientOptions> = {}) =>
  new MocoClient({
    baseUrl: url,
    apiKey: KEY,
    userAgent: "hardening-test",
    requestTimeoutMs: 5_000,
    budget: new RateLimiter({ limit: 1000, windowMs: 120_000 }),
    retryBaseMs: 5,
    retryMaxMs: 20,
    ...options,
  });

export const lead = (patch: Record<string, unknown> = {}) => ({
  id: 1,
  name: "Website relaunch",
  status: "pending",
  money: 1000,
  currency: "CHF",
  created_at: "2026-01-05T09:00:00Z",
  updated_at: "2026-01-05T09:00:00Z",
  ...patch,
});
