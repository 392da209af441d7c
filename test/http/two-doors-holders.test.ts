import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Answer, type Flood, flood, once } from "./flood.js";
import { closedByServer, grant, listLeads, type Server, served, startServer } from "./two-doors-server.js";

/**
 * A token holder can no more hold the door than an anonymous client. The built server with
 * --sandbox --oauth is flooded (1) by one person with a valid access token whose sockets POST /mcp
 * with a large declared body they trickle a byte at a time, and come back whenever they are closed;
 * (2) by sockets from 100 addresses that connect, send nothing, and close just before their grace
 * runs out, to reconnect at once. Meanwhile another token holder calls list_leads on a new
 * connection each time, and must be served.
 */

const CALLS = 13;

type Grant = Awaited<ReturnType<typeof grant>>;

async function stopServer(server: Server, label: string): Promise<void> {
  server.child.kill("SIGTERM");
  await new Promise((r) => server.child.once("exit", r));
  const { evicted, refused } = closedByServer(server.stderr());
  console.info(`${label}: the server closed ${evicted} connections to make room, refused ${refused}`);
}

/** Until the flood has all its sockets out, and a moment more. */
async function warmUp(f: Flood, sockets: number): Promise<void> {
  for (let i = 0; i < 100 && f.stats().opened < sockets; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 1_500));
}

/** A POST /mcp with a valid token that declares 100,000 bytes and sends them one at a time. */
const slowMcpBody =
  (accessToken: string) =>
  (_slot: number, port: number): [string, string] => [
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${accessToken}\r\n` +
      "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" +
      'Content-Length: 100000\r\n\r\n{"a":"',
    "a",
  ];

const failuresOf = (answers: (Answer | Error)[]) =>
  answers.filter((a) => !served(a)).map((a) => (a instanceof Error ? a.message : a.status));

describe.each([
  {
    label: "MCP_HTTP_MAX_CONNECTIONS 64, 100 sockets from one address",
    env: { MCP_HTTP_MAX_CONNECTIONS: "64" },
    sockets: 100,
    addresses: 1,
  },
  {
    label: "the default cap (512), 700 sockets from 6 addresses",
    env: {} as Record<string, string>,
    sockets: 700,
    addresses: 6,
  },
])("--oauth, $label: slow /mcp bodies with a valid token", ({ label, env, sockets, addresses }) => {
  let server: Server;
  let attacker: Grant;
  let caller: Grant;

  beforeAll(async () => {
    server = await startServer(env);
    attacker = await grant(server.stack);
    caller = await grant(server.stack);
  }, 20_000);

  afterAll(() => stopServer(server, label));

  it(`another token holder's ${CALLS} list_leads calls are all served, and the public endpoints answer`, async () => {
    const f = flood({
      port: server.port,
      sockets,
      addresses,
      reconnectMs: 100,
      deadlineMs: 40_000,
      maxConnections: 200_000,
      script: slowMcpBody(attacker.accessToken),
    });
    const answers: (Answer | Error)[] = [];
    const held: number[] = [];
    let metadata: Answer | Error;
    try {
      await warmUp(f, sockets);
      for (let i = 0; i < CALLS; i++) {
        held.push(f.held());
        answers.push(await listLeads(server.stack, caller.accessToken, i + 1).catch((e: Error) => e));
        await new Promise((r) => setTimeout(r, 200));
      }
      metadata = await once(
        `${server.stack.base}/.well-known/oauth-authorization-server`,
        { method: "GET", headers: {}, body: "", localAddress: "127.0.9.9" },
        10_000,
      ).catch((e: Error) => e);
    } finally {
      f.stop();
    }
    const ok = answers.filter(served).length;
    const { opened, closedByServer: closed } = f.stats();
    console.info(
      `${label}: ${ok} of ${CALLS} token calls served; attacker's sockets open (their side) ${Math.min(...held)}–${Math.max(...held)} of ${sockets}; ${opened} made, ${closed} closed by the server; metadata: ${metadata instanceof Error ? metadata.message : metadata.status}`,
    );
    expect(failuresOf(answers)).toEqual([]);
    expect(metadata instanceof Error ? metadata.message : metadata.status).toBe(200);
    // The attacker did fill their share: the server had to close their slow bodies.
    expect(closed).toBeGreaterThan(0);
    // Each of those was a request cut off mid-body, nobody left to answer: not an error to log.
    expect(server.stderr()).not.toContain("HTTP request failed");
  }, 60_000);
});

describe("--oauth, the default cap: silent connections from 100 addresses that reconnect before their grace runs out", () => {
  const sockets = 1_000;
  let server: Server;
  let caller: Grant;

  beforeAll(async () => {
    server = await startServer({});
    caller = await grant(server.stack);
  }, 20_000);

  afterAll(() => stopServer(server, "silent churn"));

  it(`a token holder from a new address each time gets ${CALLS} of ${CALLS} calls served (retrying once after a 503)`, async () => {
    const f = flood({
      port: server.port,
      sockets,
      addresses: 100,
      reconnectMs: 0,
      deadlineMs: 40_000,
      maxConnections: 200_000,
      silentMs: 900,
    });
    const answers: (Answer | Error)[] = [];
    let retried = 0;
    const held: number[] = [];
    try {
      await warmUp(f, sockets);
      for (let i = 0; i < CALLS; i++) {
        held.push(f.held());
        const from = `127.0.9.${i + 1}`;
        const call = () => listLeads(server.stack, caller.accessToken, i + 1, from).catch((e: Error) => e);
        let answer = await call();
        if (!(answer instanceof Error) && answer.status === 503) {
          const after = String(answer.headers["retry-after"]);
          expect(after).toMatch(/^\d+$/);
          retried++;
          await new Promise((r) => setTimeout(r, 1_000 * Number(after)));
          answer = await call();
        }
        answers.push(answer);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      f.stop();
    }
    const ok = answers.filter(served).length;
    console.info(
      `silent churn: ${ok} of ${CALLS} token calls from new addresses served, ${retried} after one 503; silent sockets open (their side) ${Math.min(...held)}–${Math.max(...held)} of ${sockets}; ${f.stats().opened} made`,
    );
    expect(failuresOf(answers)).toEqual([]);
    expect(retried).toBeLessThanOrEqual(2);
  }, 60_000);
});
