import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorize, pkce, post, REDIRECT, register, signIn, token } from "../oauth/form-flow.js";
import type { Stack } from "../oauth/support.js";

/**
 * The built server with --transport http --sandbox --oauth, spawned as a host runs it: what the
 * access log says about OAuth's endpoints, and whether the tenant limits apply to OAuth grants.
 */

/** Each GET of leads takes this long at the sandbox (three times). */
const SLOW_MS = 500;

let child: ChildProcess;
let stack: Stack;
let stderr = "";

beforeAll(async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const argv = ["--transport", "http", "--port", String(port), "--sandbox", "--oauth", "--public-url", base];
  child = spawn(process.execPath, ["dist/index.js", ...argv], {
    env: {
      ...process.env,
      MOCO_OAUTH_SECRET: "oauth-bin-secret-0123456789-abcdefghijklmnop",
      MOCO_OAUTH_DB: join(mkdtempSync(join(tmpdir(), "oauth-bin-")), "g.sqlite"),
      MOCO_LOG_LEVEL: "info",
      // Reads go to MOCO (the sandbox), not to a mirror that would answer three calls with one sync.
      MOCO_STORE: "off",
      // One account, one socket to it: the grants' clients must take turns.
      MCP_MAX_ACCOUNTS: "1",
      MCP_UPSTREAM_CONNECTIONS: "1",
      MOCO_SANDBOX_FAULTS: JSON.stringify([{ kind: "slow", delayMs: SLOW_MS, path: "/deals", times: 3 }]),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  for (let i = 0; i < 200 && !stderr.includes("ready on"); i++) await new Promise((r) => setTimeout(r, 50));
  stack = { base, mcp: `${base}/mcp` } as Stack;
}, 20_000);

afterAll(() => {
  child?.kill();
});

/** Register, sign in with the sandbox's key, consent, and exchange the code: the client and its tokens. */
async function grant() {
  const { json: client } = await register(stack);
  const { verifier, challenge } = pkce();
  const s = await authorize(stack, client.client_id, challenge);
  const signed = await signIn(stack, s, { api_key: "sandbox-key" });
  const consent = await post(
    stack,
    "/oauth/consent",
    { pending: signed.pending, csrf: s.csrf, decision: "write" },
    s.cookie,
  );
  const code = new URL(consent.location as string).searchParams.get("code") as string;
  const t = await token(stack, {
    grant_type: "authorization_code",
    code,
    code_verifier: verifier,
    client_id: client.client_id,
    redirect_uri: REDIRECT,
  });
  expect(t.status).toBe(200);
  return { client, code, challenge, accessToken: t.json.access_token as string };
}

const listLeads = (accessToken: string, id: number) =>
  fetch(stack.mcp, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "Mcp-Protocol-Version": "2025-11-25",
      Authorization: `Bearer ${accessToken}`,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "list_leads", arguments: {} },
    }),
  }).then(async (res) => ({ status: res.status, body: await res.text() }));

describe("--sandbox --oauth, the built server", () => {
  it("the access log names each OAuth endpoint with method, path (no query), status and duration", async () => {
    const before = stderr.length;
    const { client, code, challenge, accessToken } = await grant();
    const revoked = await fetch(`${stack.base}/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: accessToken, client_id: client.client_id }).toString(),
    });
    expect(revoked.status).toBe(200);
    // The last line is written when the response closes.
    for (let i = 0; i < 40 && !stderr.slice(before).includes(" /revoke "); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const log = stderr.slice(before);
    const paths = [...log.matchAll(/ (?:GET|POST|HEAD|OPTIONS) (\S+) \d{3}/g)].map((m) => m[1]);
    for (const line of [
      /POST \/register 201 \d+ms/,
      /GET \/authorize 200 \d+ms/,
      /POST \/oauth\/sign-in 200 \d+ms/,
      /POST \/oauth\/consent 302 \d+ms/,
      /POST \/token 200 \d+ms/,
      /POST \/revoke 200 \d+ms/,
    ]) {
      expect(log).toMatch(line);
    }
    // The OAuth router's rewritten path never stands in for the endpoint.
    expect(log).not.toMatch(/(GET|POST) \/ \d{3} /);
    // Neither the query (it carries the PKCE challenge and state) nor the code or token reaches the log.
    expect(paths.filter((p) => p?.includes("?"))).toEqual([]);
    expect(log).not.toContain(challenge);
    expect(log).not.toContain(code);
    expect(log).not.toContain(accessToken);
    expect(log).not.toContain("sandbox-key");
  }, 30_000);

  it("OAuth grants get the configured MCP_UPSTREAM_CONNECTIONS: three slow reads take turns on one socket", async () => {
    const { accessToken } = await grant();
    const started = performance.now();
    const answers = await Promise.all([1, 2, 3].map((id) => listLeads(accessToken, id)));
    const elapsed = performance.now() - started;
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).not.toContain('"isError":true');
    }
    // One socket to MOCO: the three slow GETs ran one after another, not side by side.
    expect(elapsed).toBeGreaterThanOrEqual(3 * SLOW_MS - 50);
  }, 30_000);
});
