import { mkdtempSync, rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig, oauthOf } from "../../src/config.js";
import { createOAuth, type OAuth } from "../../src/oauth/index.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { selectTools, TOOL_NAMES } from "../../src/tools/index.js";
import { Doors } from "../../src/transports/http/doors.js";
import { grantClients, type HttpHandle, startHttpServer } from "../../src/transports/http/index.js";
import { tokensFor } from "../oauth/form-flow.js";
import { SANDBOX_KEY, SECRET, type Stack } from "../oauth/support.js";
import { asHttp } from "../support/http-config.js";
import { type RawClient, rawClient, until } from "../support/sockets.js";
import { initialize, makeClient, raw } from "./support.js";
import { freePort } from "./two-doors-server.js";

/**
 * With --oauth the access token is the credential: a connection whose request carried a valid one
 * leaves the public door as soon as the token is verified, also when the request is then refused
 * before MCP (an SDK client's GET /mcp, 405); an unknown or expired token never moves it. The HTTP
 * transport in process with the real OAuth module (grants in node:sqlite) in front of a sandbox.
 */

const clock = { now: Date.now() };
let sandbox: Sandbox;
let oauth: OAuth;
let handle: HttpHandle;
let stack: Stack;
let port: number;
const dir = mkdtempSync(join(tmpdir(), "oauth-admission-"));
let sockets: RawClient[] = [];

beforeAll(async () => {
  port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = asHttp(
    loadConfig(
      ["--transport", "http", "--port", String(port), "--sandbox", "--oauth", "--public-url", base],
      {
        MOCO_OAUTH_SECRET: SECRET,
        MOCO_STORE: "off",
        MCP_HTTP_MAX_PUBLIC_CONNECTIONS_PER_ADDRESS: "4",
        // Long enough that an idle or slow connection is only ever closed by what a test is about.
        MCP_HTTP_HEADERS_TIMEOUT_MS: "60000",
        MCP_HTTP_REQUEST_TIMEOUT_MS: "60000",
        MCP_HTTP_KEEP_ALIVE_TIMEOUT_MS: "60000",
      },
      TOOL_NAMES,
    ),
  );
  const front = oauthOf(config.upstream);
  if (!front) throw new Error("expected an --oauth config");
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY });
  oauth = await createOAuth({
    publicUrl: base,
    store: { sqlitePath: join(dir, "grants.sqlite") },
    secrets: [SECRET],
    subdomains: [],
    loopbackBaseUrl: sandbox.url,
    userAgent: "oauth-admission-test",
    now: () => clock.now,
  });
  handle = await startHttpServer(config, {
    clients: grantClients(oauth, makeClient, front, config.rateLimit),
    version: "0.0.0-test",
    tools: selectTools(config),
  });
  stack = { base, mcp: `${base}/mcp` } as Stack;
}, 20_000);

afterAll(async () => {
  await handle?.close(1_000);
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  for (const s of sockets) s.socket.destroy();
  sockets = [];
  vi.restoreAllMocks();
});

async function accessToken(): Promise<string> {
  const { tokens } = await tokensFor(stack);
  if (!tokens.access_token) throw new Error(`no access token: ${JSON.stringify(tokens)}`);
  return tokens.access_token;
}

/** Every admission the doors are told of, by the Authorization header of its request. */
function watchAdmissions(): string[] {
  const admitted: string[] = [];
  const request = Doors.prototype.request;
  vi.spyOn(Doors.prototype, "request").mockImplementation(function (
    this: Doors,
    socket: Socket,
    req: IncomingMessage,
    late: () => void,
  ) {
    const door = request.call(this, socket, req, late);
    if (door === "busy") return door;
    const authorization = req.headers.authorization ?? "";
    return {
      claim: () => door.claim(),
      admit: () => {
        admitted.push(authorization);
        door.admit();
      },
    };
  });
  return admitted;
}

const get = (token: string) =>
  raw(stack.mcp, { method: "GET", headers: { authorization: `Bearer ${token}` } });

describe("--oauth: a verified access token admits its connection", () => {
  it("an OAuth client's idle connection after its GET /mcp (405) is not closed for a burst of new ones", async () => {
    // The OAuth twin of the MCP_HTTP_TOKEN case in connections.test.ts: an SDK client sends GET /mcp
    // after initialize (405) and reuses that socket for its next call; were it public, a burst from
    // the same address would close it idle just as the call goes out ("fetch failed: other side closed").
    const token = await accessToken();
    const before = handle.connections();
    const c = rawClient(port, "127.0.0.3");
    sockets.push(c);
    c.socket.on("connect", () =>
      c.socket.write(
        `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      ),
    );
    await until(() => /^HTTP\/1\.1 405 [\s\S]*\r\n\r\n[\s\S]*\}$/.test(c.received()), 5_000, "the 405");
    expect(handle.connections().authenticated).toBe(before.authenticated + 1);
    const burst = Array.from({ length: 8 }, () => rawClient(port, "127.0.0.3"));
    sockets.push(...burst);
    await until(() => handle.connections().accepted === before.accepted + 9, 5_000, "the burst let in");
    c.socket.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n` +
        "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" +
        `Content-Length: ${Buffer.byteLength(initialize)}\r\n\r\n${initialize}`,
    );
    await until(
      () => /HTTP\/1\.1 200 [\s\S]*"serverInfo"/.test(c.received()) || c.isClosed(),
      5_000,
      "the call's answer",
    );
    expect(c.isClosed()).toBe(false);
    expect(handle.connections().evicted).toBe(before.evicted);
  });

  it("an unknown or expired access token is answered 401 and never admits; a valid one admits its GET (405)", async () => {
    const stale = await accessToken();
    clock.now += 16 * 60_000; // past the access token's 15 minutes
    const valid = await accessToken();
    const admitted = watchAdmissions();
    const unknown = `mlm_at_${"A".repeat(43)}`;
    for (const token of [unknown, stale]) {
      const r = await get(token);
      expect(r.status, r.text).toBe(401);
      expect(r.headers.connection).toBe("close");
      const post = await raw(stack.mcp, { body: initialize, headers: { authorization: `Bearer ${token}` } });
      expect(post.status, post.text).toBe(401);
    }
    expect((await get(stale)).json.error.message).toMatch(/expired/);
    expect(admitted).toEqual([]);
    expect((await get(valid)).status).toBe(405);
    expect(admitted).toEqual([`Bearer ${valid}`]);
  });
});
