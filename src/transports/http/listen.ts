import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpSettings } from "../../config.js";

/**
 * The listening socket: header, request and keep-alive timeouts, the connection caps (in total and
 * per remote address), requests in flight, and a graceful close.
 */
export interface Listener {
  /** Base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  port: number;
  /** Connections open now, and how many were accepted and refused by the caps since start. */
  connections(): { open: number; accepted: number; refused: number };
  /**
   * Stops accepting, lets requests in flight finish (at most graceMs), then closes every socket.
   * Later requests on a kept-alive socket are told Connection: close.
   */
  close(graceMs: number): Promise<void>;
}

export async function listen(
  http: HttpSettings,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Listener> {
  let inFlight = 0;
  let closing = false;
  const idle: (() => void)[] = [];
  const server = createServer(
    {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      keepAliveTimeout: http.keepAliveTimeoutMs,
      // How often those timeouts are checked (default 30 s, which let a slow client keep its socket ~90 s).
      connectionsCheckingInterval: Math.min(1_000, http.headersTimeoutMs),
    },
    (req, res) => {
      inFlight++;
      if (closing) res.setHeader("Connection", "close");
      onRequest(req, res);
      res.once("close", () => {
        inFlight--;
        if (inFlight === 0) for (const fn of idle.splice(0)) fn();
      });
    },
  );
  const caps = capConnections(server, http);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(http.port, http.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = http.host.includes(":") ? `[${http.host}]` : http.host;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    connections: caps,
    async close(graceMs) {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => idle.push(resolve)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await stopped;
    },
  };
}

/**
 * Connections beyond the caps are closed at once: one address (or all together) cannot use up the
 * descriptors that clients with a token need. Returns the counts.
 */
function capConnections(
  server: ReturnType<typeof createServer>,
  http: HttpSettings,
): Listener["connections"] {
  server.maxConnections = http.maxConnections;
  const perAddress = new Map<string, number>();
  let refused = 0;
  let accepted = 0;
  server.on("connection", (socket) => {
    const address = socket.remoteAddress ?? "";
    const held = perAddress.get(address) ?? 0;
    if (held >= http.maxConnectionsPerAddress) {
      refused++;
      socket.destroy();
      return;
    }
    perAddress.set(address, held + 1);
    accepted++;
    socket.once("close", () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });
  server.on("drop", () => refused++);
  return () => ({ open: [...perAddress.values()].reduce((a, b) => a + b, 0), accepted, refused });
}
