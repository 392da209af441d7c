import { request } from "node:http";
import { connect, type Socket } from "node:net";

/**
 * Slow anonymous clients against the public endpoints, from many loopback addresses: each socket
 * trickles its headers (to /oauth/sign-in) or its body (to /token, /register) and never finishes;
 * when the server closes one, it comes back after a short pause, as an attacker would. Loopback
 * only, bounded in sockets, reconnections and time, and stopped by stop() or its own deadline.
 */
export interface Flood {
  /** Sockets connected and not closed now. */
  held(): number;
  /** Connections made, and how many the server closed (or refused) since start. */
  stats(): { opened: number; closedByServer: number };
  stop(): void;
}

export interface FloodOptions {
  port: number;
  sockets: number;
  /** Distinct local addresses 127.0.3.1, 127.0.3.2, … (a /24 holds 250 of them). */
  addresses: number;
  /** Pause before a closed socket comes back. */
  reconnectMs: number;
  /** The flood stops by itself after this, whatever happens. */
  deadlineMs: number;
  /** At most this many connections in all. */
  maxConnections: number;
  /** What each socket sends first and then a piece at a time (default: the slow public requests). */
  script?: (slot: number, port: number) => [string, string];
  /** Instead: send nothing, and close after about this long (±50 ms), to come back at once. */
  silentMs?: number;
}

export const floodAddress = (i: number) => `127.0.${3 + Math.floor(i / 250)}.${1 + (i % 250)}`;

export function flood(o: FloodOptions): Flood {
  let stopped = false;
  let opened = 0;
  let closedByServer = 0;
  const live = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const deadline = setTimeout(() => stop(), o.deadlineMs);

  function stop() {
    stopped = true;
    clearTimeout(deadline);
    for (const t of timers) clearInterval(t);
    for (const s of live) s.destroy();
    live.clear();
  }

  function open(slot: number) {
    if (stopped || opened >= o.maxConnections) return;
    opened++;
    const socket = connect({
      port: o.port,
      host: "127.0.0.1",
      localAddress: floodAddress(slot % o.addresses),
    });
    live.add(socket);
    socket.on("data", () => {});
    socket.on("error", () => {});
    let trickle: NodeJS.Timeout | undefined;
    socket.on("connect", () => {
      if (o.silentMs !== undefined) {
        trickle = setTimeout(() => socket.destroy(), o.silentMs - 50 + Math.random() * 100);
        timers.add(trickle);
        return;
      }
      const [first, next] = o.script ? o.script(slot, o.port) : script(slot % 3, o.port);
      socket.write(first);
      trickle = setInterval(() => {
        if (socket.writable) socket.write(next);
      }, 400);
      timers.add(trickle);
    });
    socket.once("close", () => {
      if (trickle) {
        clearInterval(trickle);
        timers.delete(trickle);
      }
      live.delete(socket);
      if (stopped) return;
      if (o.silentMs === undefined) closedByServer++;
      const pause = setTimeout(
        () => {
          timers.delete(pause);
          open(slot);
        },
        o.reconnectMs + Math.floor(Math.random() * o.reconnectMs),
      );
      timers.add(pause);
    });
  }

  for (let i = 0; i < o.sockets; i++) open(i);
  return { held: () => live.size, stats: () => ({ opened, closedByServer }), stop };
}

/** What a slow socket sends first, and then a piece at a time, never finishing. */
function script(kind: number, port: number): [string, string] {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  if (kind === 0) return [`POST /oauth/sign-in HTTP/1.1\r\n${host}`, "X-Slow: 1\r\n"];
  if (kind === 1) {
    const head = `POST /token HTTP/1.1\r\n${host}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\n`;
    return [`${head}grant_type=refresh_token&refresh_token=`, "a"];
  }
  const head = `POST /register HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n`;
  return [`${head}{"client_name":"`, "a"];
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/**
 * One request on a connection of its own (no keep-alive pool to hide behind), from `localAddress`;
 * a refused or reset connection is an error, and so is no answer within `timeoutMs`.
 */
export function once(
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; localAddress?: string },
  timeoutMs = 15_000,
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method,
        headers: {
          ...init.headers,
          "Content-Length": String(Buffer.byteLength(init.body)),
          Connection: "close",
        },
        agent: false,
        localAddress: init.localAddress,
        timeout: timeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            ms: performance.now() - started,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(init.body);
  });
}
