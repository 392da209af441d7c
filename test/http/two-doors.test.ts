import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register } from "../oauth/form-flow.js";
import { type Answer, type Flood, flood, once } from "./flood.js";
import { closedByServer, grant, listLeads, type Server, served, startServer } from "./two-doors-server.js";

/**
 * Two doors, two budgets: the built server with --sandbox --oauth, flooded by 1,000 slow anonymous
 * sockets from 100 loopback addresses that trickle headers to /oauth/sign-in and bodies to /token
 * and /register, and come back whenever they are closed. Meanwhile a person with a valid access
 * token calls list_leads on a fresh connection each time: every call must be served, whatever the
 * operator's connection cap; and a legitimate /token request from a fresh address gets an answer.
 */

const CALLS = 13;
const SLOW_SOCKETS = 1_000;
const ADDRESSES = 100;

const startFlood = (port: number): Flood =>
  flood({
    port,
    sockets: SLOW_SOCKETS,
    addresses: ADDRESSES,
    reconnectMs: 200,
    deadlineMs: 40_000,
    maxConnections: 200_000,
  });

/** Until the flood has all its sockets out (connected or refused at least once). */
async function warmUp(f: Flood): Promise<void> {
  for (let i = 0; i < 100 && f.stats().opened < SLOW_SOCKETS; i++)
    await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 1_500));
}

describe.each([
  { cap: "64", env: { MCP_HTTP_MAX_CONNECTIONS: "64" } },
  { cap: "512 (the default)", env: {} as Record<string, string> },
])("--oauth with MCP_HTTP_MAX_CONNECTIONS $cap, 1,000 slow anonymous sockets", ({ cap, env }) => {
  let server: Server;
  let caller: Awaited<ReturnType<typeof grant>>;
  let refresher: Awaited<ReturnType<typeof grant>>;

  beforeAll(async () => {
    server = await startServer(env);
    caller = await grant(server.stack);
    refresher = await grant(server.stack);
  }, 20_000);

  afterAll(async () => {
    server.child.kill("SIGTERM");
    await new Promise((r) => server.child.once("exit", r));
    const { evicted, refused } = closedByServer(server.stderr());
    console.info(
      `cap ${cap}: the server closed ${evicted} slow public connections to make room, refused ${refused}`,
    );
  });

  it(`every one of ${CALLS} list_leads calls with a valid token is served`, async () => {
    const { accessToken } = caller;
    const f = startFlood(server.port);
    const answers: (Answer | Error)[] = [];
    const held: number[] = [];
    try {
      await warmUp(f);
      for (let i = 0; i < CALLS; i++) {
        held.push(f.held());
        answers.push(await listLeads(server.stack, accessToken, i + 1).catch((e: Error) => e));
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      f.stop();
    }
    const ok = answers.filter(served).length;
    const { opened, closedByServer: closed } = f.stats();
    const slowest = Math.max(...answers.map((a) => (a instanceof Error ? 0 : a.ms)));
    console.info(
      `cap ${cap}: ${ok} of ${CALLS} token calls served, ${CALLS - ok} refused (slowest ${Math.round(slowest)} ms); slow sockets open (attackers' side) during the calls ${Math.min(...held)}–${Math.max(...held)} of ${SLOW_SOCKETS}; ${opened} slow connections made, ${closed} closed by the server`,
    );
    const failures = answers
      .filter((a) => !served(a))
      .map((a) => (a instanceof Error ? a.message : a.status));
    expect(failures).toEqual([]);
    // The flood did fill the public door: the server had to close slow sockets to let the calls in.
    expect(closed).toBeGreaterThan(0);
  }, 60_000);

  it("a legitimate /token request from a fresh address gets an answer: served, or 429/503 with Retry-After", async () => {
    const { clientId, refreshToken } = refresher;
    const f = startFlood(server.port);
    let answer: Answer | Error;
    try {
      await warmUp(f);
      answer = await once(
        `${server.stack.base}/token`,
        {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "refresh_token",
            refresh_token: refreshToken,
            client_id: clientId,
          }).toString(),
          localAddress: "127.0.9.9",
        },
        10_000,
      ).catch((e: Error) => e);
    } finally {
      f.stop();
    }
    if (answer instanceof Error) throw answer;
    console.info(
      `cap ${cap}: /token from a fresh address during the flood: ${answer.status} in ${Math.round(answer.ms)} ms`,
    );
    if (answer.status === 200) {
      expect(JSON.parse(answer.body)).toMatchObject({ access_token: expect.any(String) });
    } else {
      expect([429, 503]).toContain(answer.status);
      expect(answer.headers["retry-after"]).toMatch(/^\d+$/);
    }
  }, 60_000);

  it("slow /register bodies do not use up the registration limits: after the flood, a client registers", async () => {
    const f = startFlood(server.port);
    try {
      await warmUp(f);
    } finally {
      f.stop();
    }
    const { status, json } = await register(server.stack);
    expect(status, JSON.stringify(json)).toBe(201);
  }, 60_000);
});

describe("--oauth, the public door's body rules", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer({ MCP_HTTP_PUBLIC_BODY_TIMEOUT_MS: "1000" });
  }, 20_000);
  afterAll(async () => {
    server.child.kill("SIGTERM");
    await new Promise((r) => server.child.once("exit", r));
  });

  it("a form whose body comes too slowly is answered 408 and its connection closed", async () => {
    const socket = connect({ port: server.port, host: "127.0.0.1" });
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      received += d;
    });
    const closed = new Promise((r) => socket.once("close", r));
    socket.write(
      `POST /token HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=`,
    );
    const started = performance.now();
    const drip = setInterval(() => socket.writable && socket.write("a"), 200);
    try {
      await closed;
    } finally {
      clearInterval(drip);
    }
    expect(received).toMatch(/^HTTP\/1\.1 408 [\s\S]*\r\nConnection: close\r\n/i);
    // The body timeout (1 s here), checked as it runs out; the request timeout would be 30 s.
    expect(performance.now() - started).toBeLessThan(5_000);
    // The handler that was still reading the body gives up quietly: the answer is out already.
    await new Promise((r) => setTimeout(r, 1_200));
    expect(server.stderr()).not.toContain("HTTP request failed");
  });

  it("a public form may not declare a large body: 413 before a byte of it is read", async () => {
    const answer = await once(`${server.stack.base}/oauth/sign-in`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `filler=${"x".repeat(9_000)}`,
    });
    expect(answer.status).toBe(413);
    expect(answer.body).toMatch(/the limit here is 8192 bytes/);
  });
});
