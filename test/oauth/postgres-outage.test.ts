import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, expect, it } from "vitest";
import { dropSchema, randomSchema, skipReason, storeUrl } from "../store/postgres-support.js";
import { startProxy, type TcpProxy } from "../store/tcp-proxy.js";
import { authorize, callMcp, pkce, post, REDIRECT, register, signIn, token } from "./form-flow.js";
import type { Stack } from "./support.js";

/**
 * The built server with --oauth and its grants in PostgreSQL (MOCO_STORE, no MOCO_OAUTH_DB), reached
 * through a TCP proxy that is cut mid-run: a signed-in client is told to try again shortly (503 with
 * Retry-After), not refused nor met with an internal error, and the same token works once the
 * database is back, without a restart.
 */
const skip = await skipReason();
const schema = randomSchema("moco_oauth_outage");
let child: ChildProcess | undefined;
let proxy: TcpProxy | undefined;
afterAll(async () => {
  child?.kill();
  await proxy?.close();
  if (skip === undefined) await dropSchema(schema);
});

async function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

it.skipIf(skip !== undefined)(
  "a signed-in client meets 503 with Retry-After while the grants' database is gone, and 200 once it is back",
  async () => {
    const target = new URL(storeUrl(schema));
    proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
    target.hostname = "127.0.0.1";
    target.port = String(proxy.port);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let stderr = "";
    child = spawn(
      process.execPath,
      [
        "dist/index.js",
        "--transport",
        "http",
        "--port",
        String(port),
        "--sandbox",
        "--oauth",
        "--public-url",
        base,
      ],
      {
        env: {
          ...process.env,
          MOCO_OAUTH_SECRET: "outage-secret-0123456789-abcdefghijklmnop",
          MOCO_STORE: target.toString(),
          MOCO_OAUTH_DB: "",
          MOCO_LOG_LEVEL: "info",
        },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    for (let i = 0; i < 200 && !stderr.includes("ready on"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain("ready on");
    const stack = { base, mcp: `${base}/mcp` } as Stack;

    const { json: client } = await register(stack);
    const { verifier, challenge } = pkce();
    const s = await authorize(stack, client.client_id, challenge);
    const signed = await signIn(stack, s, { api_key: "sandbox-key" });
    const consent = await post(
      stack,
      "/oauth/consent",
      { pending: signed.pending, csrf: s.csrf, decision: "read" },
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
    const access = t.json.access_token as string;
    expect((await callMcp(stack, access)).status).toBe(200);

    await proxy.cut();
    for (let i = 0; i < 2; i++) {
      const res = await fetch(stack.mcp, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          Authorization: `Bearer ${access}`,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(await res.text()).toContain("try again in a few seconds");
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    await proxy.restore();
    expect((await callMcp(stack, access)).status).toBe(200);
    expect(stderr).not.toContain("sandbox-key");
    expect(stderr).not.toContain(access);
  },
  30_000,
);
