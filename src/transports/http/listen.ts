import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpSettings } from "../../config.js";
import { log } from "../../log.js";
import { type Door, type DoorCounts, Doors } from "./doors.js";

/**
 * The listening socket: header, request and keep-alive timeouts, the two doors' connection budgets
 * (doors.ts), requests in flight, and a graceful close.
 */
export interface Listener {
  /** Base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  port: number;
  /**
   * Connections open now (public and authenticated), and since start how many were accepted, refused
   * at once, or closed later to make room.
   */
  connections(): DoorCounts;
  /**
   * Stops accepting, lets requests in flight finish (at most graceMs), then closes every socket.
   * Later requests on a kept-alive socket are told Connection: close.
   */
  close(graceMs: number): Promise<void>;
}

export async function listen(
  http: HttpSettings,
  onRequest: (req: IncomingMessage, res: ServerResponse, door: Door) => void,
  /** A public request whose body did not arrive within the public body timeout. */
  onLate: (res: ServerResponse) => void,
  /** A request on a connection that was refused (no room): to be answered 503 and closed. */
  onBusy: (res: ServerResponse) => void,
): Promise<Listener> {
  let inFlight = 0;
  let closing = false;
  const idle: (() => void)[] = [];
  const doors = new Doors({
    maxConnections: http.maxConnections,
    maxConnectionsPerAddress: http.maxConnectionsPerAddress,
    maxPublic: http.publicDoor.max,
    maxPublicPerAddress: http.publicDoor.perAddress,
    publicBodyTimeoutMs: http.publicDoor.bodyTimeoutMs,
    graceMs: Math.min(1_000, http.headersTimeoutMs),
  });
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
      const socket = req.socket;
      const door = doors.request(socket, req, () => onLate(res));
      if (door === "busy") onBusy(res);
      else onRequest(req, res, door);
      res.once("close", () => {
        doors.finished(socket);
        inFlight--;
        if (inFlight === 0) for (const fn of idle.splice(0)) fn();
      });
    },
  );
  // A ceiling on sockets, those being closed included (a burst can close hundreds in one turn of the
  // event loop, and each is counted until it is gone); the doors decide well below it.
  server.maxConnections = 2 * http.maxConnections + 1_000;
  const report = reporter(doors);
  server.on("drop", () => doors.dropped());
  server.on("connection", (socket) => {
    doors.arrive(socket);
    report(false);
  });
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
    connections: () => doors.counts(),
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
      report(true);
      await stopped;
    },
  };
}

/**
 * Tells the operator when connections were refused or closed to make room: at most every ten
 * seconds while it goes on (what happened since the last line), and once more at close.
 */
function reporter(doors: Doors): (final: boolean) => void {
  let told = { refused: 0, evicted: 0 };
  let at = 0;
  return (final) => {
    const now = doors.counts();
    const refused = now.refused - told.refused;
    const evicted = now.evicted - told.evicted;
    if (refused + evicted === 0 || (!final && Date.now() - at < 10_000)) return;
    told = now;
    at = Date.now();
    log(
      "warn",
      `connection budgets full: ${evicted} slow, idle or silent connections closed to make room, ${refused} refused (open now: ${now.public} public, ${now.authenticated} authenticated)`,
    );
  };
}
