import { afterEach, describe, expect, it } from "vitest";
import { fileLimit, type RawClient, rawClient, TOKEN, until } from "../support/sockets.js";
import { call, type HttpFixture, initialize, startHttpFixture } from "./support.js";

/**
 * Slow clients without a token cannot hold the sockets that clients with one need: refusals close
 * the connection, and open connections are capped per address and in total.
 */
let fixtures: HttpFixture[] = [];
let sockets: RawClient[] = [];
afterEach(async () => {
  for (const s of sockets) s.socket.destroy();
  sockets = [];
  await Promise.all(fixtures.map((f) => f.close()));
  fixtures = [];
});

async function server(env: Record<string, string> = {}) {
  const f = await startHttpFixture({
    env: {
      MCP_HTTP_TOKEN: TOKEN,
      // Long enough that a slow client is only ever closed by what the test is about.
      MCP_HTTP_HEADERS_TIMEOUT_MS: "60000",
      MCP_HTTP_REQUEST_TIMEOUT_MS: "60000",
      ...env,
    },
  });
  fixtures.push(f);
  return f;
}

const head = (port: number, extra: string, length = 100_000) =>
  `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${length}\r\n${extra}\r\n`;

/** Sends full headers, then a body one byte at a time, every 200 ms, never finishing. */
function bodyDribbler(port: number, localAddress?: string, extra = ""): RawClient {
  const c = rawClient(port, localAddress);
  sockets.push(c);
  c.socket.on("connect", () => {
    c.socket.write(`${head(port, extra)}{"jsonrpc":`);
    const timer = setInterval(() => {
      if (c.isClosed() || !c.socket.writable) clearInterval(timer);
      else c.socket.write(" ");
    }, 200);
    timer.unref();
  });
  return c;
}

/** Sends a request line and never finishes its headers. */
function headerDribbler(port: number, localAddress?: string): RawClient {
  const c = rawClient(port, localAddress);
  sockets.push(c);
  c.socket.on("connect", () => c.socket.write("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  return c;
}

describe("refusals close the connection", () => {
  it("a client without a token that dribbles its body is answered 401 and its connection closed", async () => {
    const f = await server();
    const c = bodyDribbler(f.handle.port);
    // Without the fix the socket stays until the request timeout (60 s here; ~90 s before).
    await until(() => c.isClosed(), 5_000, "server closing the connection");
    expect(c.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(c.received()).toMatch(/\r\nConnection: close\r\n/i);
  });

  it("a foreign Host (403) and an oversized body (413) close the connection as well", async () => {
    const f = await server();
    const port = f.handle.port;
    const forbidden = rawClient(port);
    const tooLarge = rawClient(port);
    sockets.push(forbidden, tooLarge);
    forbidden.socket.on("connect", () =>
      forbidden.socket.write(
        head(port, `Authorization: Bearer ${TOKEN}\r\n`).replace(`127.0.0.1:${port}`, "evil.test"),
      ),
    );
    tooLarge.socket.on("connect", () =>
      tooLarge.socket.write(`${head(port, `Authorization: Bearer ${TOKEN}\r\n`, 5 * 1024 * 1024)}{`),
    );
    await until(() => forbidden.isClosed() && tooLarge.isClosed(), 5_000, "server closing both connections");
    expect(forbidden.received()).toMatch(/^HTTP\/1\.1 403 [\s\S]*\r\nConnection: close\r\n/i);
    expect(tooLarge.received()).toMatch(/^HTTP\/1\.1 413 [\s\S]*\r\nConnection: close\r\n/i);
  });

  it("an SSE reply honours the request's Connection: close", async () => {
    const f = await server();
    const port = f.handle.port;
    const c = rawClient(port);
    sockets.push(c);
    const body = initialize;
    c.socket.on("connect", () =>
      c.socket.write(
        `${head(port, `Authorization: Bearer ${TOKEN}\r\nConnection: close\r\n`, Buffer.byteLength(body))}${body}`,
      ),
    );
    await until(() => c.isClosed(), 5_000, "server closing the connection after the reply");
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.received()).toMatch(/\r\nContent-Type: text\/event-stream\r\n/i);
    expect(c.received()).toMatch(/\r\nConnection: close\r\n/i);
    expect(c.received()).not.toMatch(/\r\nConnection: keep-alive\r\n/i);
  });
});

describe("connection caps", () => {
  it("a token holder's idle connection after its GET /mcp (405) is not closed for a burst of new ones", async () => {
    // Every SDK client sends GET /mcp after initialize (answered 405 here) and reuses that socket for
    // its next call: were it public, a burst from the same address (a load balancer) would close it
    // idle, just as the client sends its call on it ("other side closed").
    const f = await server({ MCP_HTTP_MAX_PUBLIC_CONNECTIONS_PER_ADDRESS: "4" });
    const port = f.handle.port;
    const c = rawClient(port, "127.0.0.3");
    sockets.push(c);
    c.socket.on("connect", () =>
      c.socket.write(
        `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
      ),
    );
    await until(() => /^HTTP\/1\.1 405 [\s\S]*\r\n\r\n[\s\S]*\}$/.test(c.received()), 5_000, "the 405");
    const burst = Array.from({ length: 8 }, () => rawClient(port, "127.0.0.3"));
    sockets.push(...burst);
    await until(() => f.handle.connections().accepted === 9, 5_000, "the burst let in");
    const body = initialize;
    c.socket.write(`${head(port, `Authorization: Bearer ${TOKEN}\r\n`, Buffer.byteLength(body))}${body}`);
    await until(() => /HTTP\/1\.1 200 /.test(c.received()) || c.isClosed(), 5_000, "the call's answer");
    expect(c.isClosed()).toBe(false);
    expect(f.handle.connections().evicted).toBe(0);
  });

  it("the per-address cap holds: 50 stalled clients from one address, 20 kept", async () => {
    // The public door's own per-address cap set above it: this is about the cap of both doors.
    const f = await server({
      MCP_HTTP_MAX_CONNECTIONS_PER_ADDRESS: "20",
      MCP_HTTP_MAX_PUBLIC_CONNECTIONS_PER_ADDRESS: "50",
    });
    const clients = Array.from({ length: 50 }, () => headerDribbler(f.handle.port, "127.0.0.2"));
    // Each stalled client over the cap makes room by closing the oldest stalled one of its address.
    await until(() => f.handle.connections().open + f.handle.connections().evicted === 50);
    await until(() => clients.filter((c) => c.isClosed()).length === 30);
    expect(f.handle.connections()).toMatchObject({ open: 20, evicted: 30, refused: 0 });
  });

  it("the total cap holds: 400 stalled clients from 40 addresses, 100 kept", async () => {
    const f = await server({
      MCP_HTTP_MAX_CONNECTIONS: "100",
      MCP_HTTP_MAX_CONNECTIONS_PER_ADDRESS: "20",
      MCP_HTTP_MAX_PUBLIC_CONNECTIONS: "100",
      MCP_HTTP_MAX_PUBLIC_CONNECTIONS_PER_ADDRESS: "20",
    });
    const clients = Array.from({ length: 400 }, (_, i) =>
      headerDribbler(f.handle.port, `127.0.1.${1 + (i % 40)}`),
    );
    await until(() => clients.filter((c) => c.isClosed()).length === 300);
    const { open, evicted, refused } = f.handle.connections();
    expect({ open, closed: evicted + refused }).toEqual({ open: 100, closed: 300 });
  });

  it("1,000 slow clients without a token do not lock out a client with one", async () => {
    // Each slow client costs two descriptors here (client and server side, same process).
    const limit = fileLimit();
    const slow = Math.min(1_000, Math.floor((limit - 200) / 2));
    if (slow < 1_000) console.warn(`ulimit -n is ${limit}: scaled down to ${slow} slow clients`);
    const f = await server({ MCP_HTTP_MAX_CONNECTIONS: "400", MCP_HTTP_MAX_CONNECTIONS_PER_ADDRESS: "16" });
    const port = f.handle.port;
    // Ten addresses, each half stalled in its headers and half sending a body slowly without a token.
    const clients = Array.from({ length: slow }, (_, i) => {
      const address = `127.0.2.${1 + (i % 10)}`;
      return i % 2 === 0 ? headerDribbler(port, address) : bodyDribbler(port, address);
    });
    let peak = 0;
    const sample = setInterval(() => {
      peak = Math.max(peak, f.handle.connections().open);
    }, 5);
    try {
      await until(() => f.handle.connections().accepted + f.handle.connections().refused === slow);
      const client = await f.connect({ Authorization: `Bearer ${TOKEN}` });
      for (let i = 0; i < 10; i++) {
        const r = await call(client, "list_leads", { per_page: 5 });
        expect(r.isError).toBeFalsy();
      }
      // The slow clients still hold what the caps let them: the answers above came despite them.
      const held = clients.filter((c) => !c.isClosed()).length;
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(10 * 16);
      // Every body-dribbler the server accepted was answered 401 and let go.
      const answered = clients.filter((c, i) => i % 2 === 1 && c.received() !== "");
      expect(answered.length).toBeGreaterThan(0);
      for (const c of answered) expect(c.received()).toMatch(/^HTTP\/1\.1 401 [\s\S]*Connection: close/i);
      await until(() => answered.every((c) => c.isClosed()), 5_000, "401 connections closed");
    } finally {
      clearInterval(sample);
    }
    // One address's cap times ten addresses, plus the client with the token.
    expect(peak).toBeLessThanOrEqual(10 * 16 + 1);
    const { accepted, refused } = f.handle.connections();
    console.info(
      `slow clients: ${slow} (ulimit -n ${limit}); accepted ${accepted}, refused ${refused}, peak open ${peak}; 10 calls with the token answered`,
    );
  });
});
