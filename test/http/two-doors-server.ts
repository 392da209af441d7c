import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { authorize, pkce, post, REDIRECT, register, signIn, token } from "../oauth/form-flow.js";
import type { Stack } from "../oauth/support.js";
import { type Answer, once } from "./flood.js";

/**
 * The built server with --sandbox --oauth on a free loopback port, for the two-doors floods: start
 * it, get a grant through the real OAuth flow, call list_leads on a connection of its own.
 */

export interface Server {
  child: ChildProcess;
  port: number;
  stack: Stack;
  stderr(): string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const argv = ["--transport", "http", "--port", String(port), "--sandbox", "--oauth", "--public-url", base];
  let stderr = "";
  const child = spawn(process.execPath, ["dist/index.js", ...argv], {
    env: {
      ...process.env,
      MOCO_OAUTH_SECRET: "two-doors-secret-0123456789-abcdefghijklmnop",
      MOCO_OAUTH_DB: join(mkdtempSync(join(tmpdir(), "two-doors-")), "g.sqlite"),
      MOCO_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  // "ready on" is an info line: wait for the port instead.
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port, stack: { base, mcp: `${base}/mcp` } as Stack, stderr: () => stderr };
}

/** Register, sign in with the sandbox's key, consent, and exchange the code: the tokens. */
export async function grant(stack: Stack) {
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
  if (!consent.location)
    throw new Error(`consent ${consent.status}, sign-in ${signed.status}, authorize ${s.status}`);
  const code = new URL(consent.location).searchParams.get("code") as string;
  const t = await token(stack, {
    grant_type: "authorization_code",
    code,
    code_verifier: verifier,
    client_id: client.client_id,
    redirect_uri: REDIRECT,
  });
  expect(t.status).toBe(200);
  return {
    clientId: client.client_id,
    accessToken: t.json.access_token as string,
    refreshToken: t.json.refresh_token as string,
  };
}

export const listLeads = (stack: Stack, accessToken: string, id: number, localAddress = "127.0.0.1") =>
  once(stack.mcp, {
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
      params: { name: "list_leads", arguments: { per_page: 5 } },
    }),
    localAddress,
  });

export const served = (a: Answer | Error) =>
  !(a instanceof Error) &&
  a.status === 200 &&
  a.body.includes('"result"') &&
  !a.body.includes('"isError":true');

/** The server's own account of what it closed or refused, from its warn lines. */
export function closedByServer(stderr: string) {
  let evicted = 0;
  let refused = 0;
  for (const m of stderr.matchAll(
    /(\d+) slow, idle or silent connections closed to make room, (\d+) refused/g,
  )) {
    evicted += Number(m[1]);
    refused += Number(m[2]);
  }
  return { evicted, refused };
}
