import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { dropSchema, randomSchema, skipReason, sql, storeUrl } from "../store/postgres-support.js";
import { authorize, pkce, post, REDIRECT, register, signIn, token } from "./form-flow.js";
import type { Stack } from "./support.js";

/**
 * The built server with MOCO_STORE=postgres://… and --oauth: its grants and each MOCO account's rate
 * budget are kept in PostgreSQL beside the mirrors, unless MOCO_OAUTH_DB sets the grants apart.
 */
const skip = await skipReason();
const schemas: string[] = [];
afterAll(async () => {
  if (skip === undefined) for (const s of schemas) await dropSchema(s);
});
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill();
  child = undefined;
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Starts the bin on the sandbox with OAuth; resolves once it is ready, with its stack and log. */
async function start(env: Record<string, string>): Promise<{ stack: Stack; log: () => string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let stderr = "";
  const argv = ["--transport", "http", "--port", String(port), "--sandbox", "--oauth", "--public-url", base];
  child = spawn(process.execPath, ["dist/index.js", ...argv], {
    env: {
      ...process.env,
      MOCO_OAUTH_SECRET: "postgres-wiring-secret-0123456789-abcdefghij",
      MOCO_LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  for (let i = 0; i < 300 && !stderr.includes("ready on"); i++) await new Promise((r) => setTimeout(r, 50));
  expect(stderr).toContain("ready on");
  return { stack: { base, mcp: `${base}/mcp` } as Stack, log: () => stderr };
}

async function signedIn(stack: Stack): Promise<string> {
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
  return t.json.access_token as string;
}

const listLeads = (stack: Stack, accessToken: string) =>
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
      id: 1,
      method: "tools/call",
      params: { name: "list_leads", arguments: {} },
    }),
  }).then(async (res) => ({ status: res.status, body: await res.text() }));

const tables = async (schema: string) =>
  (
    await sql<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1",
      [schema],
    )
  )
    .map((r) => r.t)
    .sort();

describe.skipIf(skip !== undefined)("a team server on PostgreSQL", () => {
  it("keeps its OAuth grants and the MOCO rate budget in the store's schema", async () => {
    const schema = randomSchema();
    schemas.push(schema);
    const { stack, log } = await start({ MOCO_STORE: storeUrl(schema) });
    expect(log()).toMatch(
      /oauth: grants kept in PostgreSQL \(postgres:\/\/[^)]*schema "moco_test_[0-9a-f]+"\)/,
    );
    const answer = await listLeads(stack, await signedIn(stack));
    expect(answer.status).toBe(200);
    expect(answer.body).not.toContain('"isError":true');
    expect(await sql(`SELECT id FROM "${schema}".oauth_grants`)).toHaveLength(1);
    // The sandbox's account: its 120 slots, some taken by the calls just made.
    const slots = await sql<{ scope: string; n: string; used: string }>(
      `SELECT scope, COUNT(*) AS n, COUNT(*) FILTER (WHERE free_at > 0) AS used FROM "${schema}".budget_slots GROUP BY scope`,
    );
    expect(slots).toHaveLength(1);
    expect(slots[0]?.scope).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(Number(slots[0]?.n)).toBe(120);
    expect(Number(slots[0]?.used)).toBeGreaterThan(0);
  }, 30_000);

  it("keeps the grants in the MOCO_OAUTH_DB file when it is set", async () => {
    const schema = randomSchema();
    schemas.push(schema);
    const file = join(mkdtempSync(join(tmpdir(), "grants-apart-")), "g.sqlite");
    const { stack, log } = await start({ MOCO_STORE: storeUrl(schema), MOCO_OAUTH_DB: file });
    expect(log()).toContain(`oauth: grants kept in ${file}`);
    await signedIn(stack);
    expect(existsSync(file)).toBe(true);
    expect((await tables(schema)).filter((t) => t.startsWith("oauth_"))).toEqual([]);
  }, 30_000);
});
