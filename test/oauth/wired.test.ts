import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { authorize, callMcp, pkce, post, REDIRECT, register, signIn, token } from "./form-flow.js";
import type { Stack } from "./support.js";

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
        MOCO_OAUTH_SECRET: "wired-secret-0123456789-abcdefghijklmnop",
        MOCO_OAUTH_DB: join(mkdtempSync(join(tmpdir(), "wired-")), "g.sqlite"),
        MOCO_LOG_LEVEL: "debug",
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  for (let i = 0; i < 100 && !stderr.includes("ready on"); i++) await new Promise((r) => setTimeout(r, 50));
  stack = { base, mcp: `${base}/mcp` } as Stack;
}, 20_000);
afterAll(() => {
  child?.kill();
});

it("the real transport with --oauth --sandbox: register → sign in → consent → token → tools/list; 401 without", async () => {
  expect(stderr).toContain("auth: OAuth");
  const none = await callMcp(stack, undefined);
  expect(none.status).toBe(401);
  expect(none.wwwAuthenticate).toContain(
    `resource_metadata="${stack.base}/.well-known/oauth-protected-resource/mcp"`,
  );
  const { json: client } = await register(stack);
  const { verifier, challenge } = pkce();
  const s = await authorize(stack, client.client_id, challenge);
  const signed = await signIn(stack, s, { api_key: "sandbox-key" });
  expect(signed.status).toBe(200);
  for (const [decision, hasWrite] of [
    ["write", true],
    ["read", false],
  ] as const) {
    const again =
      decision === "write"
        ? { s, signed, verifier }
        : await (async () => {
            const p = pkce();
            const s2 = await authorize(stack, client.client_id, p.challenge);
            return {
              s: s2,
              signed: await signIn(stack, s2, { api_key: "sandbox-key" }),
              verifier: p.verifier,
            };
          })();
    const consent = await post(
      stack,
      "/oauth/consent",
      { pending: again.signed.pending, csrf: again.s.csrf, decision },
      again.s.cookie,
    );
    const code = new URL(consent.location as string).searchParams.get("code") as string;
    const t = await token(stack, {
      grant_type: "authorization_code",
      code,
      code_verifier: again.verifier,
      client_id: client.client_id,
      redirect_uri: REDIRECT,
    });
    expect(t.status).toBe(200);
    const list = await callMcp(stack, t.json.access_token);
    expect(list.status).toBe(200);
    const names = (
      JSON.parse(list.body.replace(/^event: message\ndata: /, "")) as {
        result: { tools: { name: string }[] };
      }
    ).result.tools.map((x) => x.name);
    expect(names.includes("create_lead")).toBe(hasWrite);
    expect(names).toContain("list_leads");
  }
  expect(stderr).not.toContain("sandbox-key");
}, 30_000);
