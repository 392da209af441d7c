import { execSync } from "node:child_process";
import { connect, type Socket } from "node:net";

/** Raw sockets for clients no library would write: slow, half-sent, never finished. */
export interface RawClient {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server closed the connection (or it failed). */
  closed: Promise<void>;
  isClosed(): boolean;
}

export function rawClient(port: number, localAddress?: string): RawClient {
  const socket = connect({ port, host: "127.0.0.1", localAddress });
  let data = "";
  let done = false;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    data += chunk;
  });
  const closed = new Promise<void>((resolve) => {
    const end = () => {
      done = true;
      resolve();
    };
    socket.once("close", end);
    socket.once("error", end);
  });
  return { socket, received: () => data, closed, isClosed: () => done };
}

/** Polls until `condition` holds; fails after `ms` (a bound, not a measurement). */
export async function until(condition: () => boolean, ms = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The soft limit on open files of this process (a child shell inherits it). */
export function fileLimit(): number {
  try {
    const value = execSync("ulimit -n", { shell: "/bin/sh" }).toString().trim();
    return value === "unlimited" ? Number.POSITIVE_INFINITY : Number(value);
  } catch {
    return 1024;
  }
}

export const TOKEN = "hardening-token-0123456789abcdef";
