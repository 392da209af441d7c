import { readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { afterEach, expect, it } from "vitest";
import { setLogLevel } from "../../src/log.js";
import { authorize, callMcp, pkce, post, REDIRECT, register, signIn, token } from "./form-flow.js";
import { captureStderr, SANDBOX_KEY, SECRET, type Stack, startStack } from "./support.js";

/**
 * Secrets stay where they belong: the MOCO key, the tokens and the sealing secret appear in no log
 * line, no page, no error and no URL, and the store holds only ciphertexts and hashes.
 */
let stack: Stack | undefined;
afterEach(async () => {
  setLogLevel("error");
  await stack?.close();
  stack = undefined;
});

it("keeps the MOCO key, tokens and sealing secret out of logs, pages, errors, URLs and the raw store", async () => {
  setLogLevel("debug");
  const stderr = captureStderr();
  const seen: string[] = []; // every page, JSON body, error and Location the server sent
  let access = "";
  let refresh = "";
  let rotatedAccess = "";
  let rotatedRefresh = "";
  let code = "";
  try {
    stack = await startStack();
    const { json: client } = await register(stack);
    seen.push(JSON.stringify(client));
    const { verifier, challenge } = pkce();
    const s = await authorize(stack, client.client_id, challenge);
    seen.push(s.html);
    seen.push((await signIn(stack, s, { api_key: `${SANDBOX_KEY}x` })).html); // a wrong key, echoed nowhere
    const signed = await signIn(stack, s);
    seen.push(signed.html);
    const consent = await post(
      stack,
      "/oauth/consent",
      { pending: signed.pending, csrf: s.csrf, decision: "write" },
      s.cookie,
    );
    seen.push(consent.html, consent.location ?? "");
    code = new URL(consent.location as string).searchParams.get("code") as string;
    const wrong = await token(stack, {
      grant_type: "authorization_code",
      code: `${code.slice(0, -1)}${code.endsWith("A") ? "B" : "A"}`,
      code_verifier: verifier,
      client_id: client.client_id,
    });
    seen.push(JSON.stringify(wrong.json));
    const issued = await token(stack, {
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      client_id: client.client_id,
      redirect_uri: REDIRECT,
    });
    expect(issued.json).toMatchObject({ token_type: "Bearer" });
    access = issued.json.access_token as string;
    refresh = issued.json.refresh_token as string;
    const ok = await callMcp(stack, access);
    expect(ok.status).toBe(200);
    seen.push(ok.body);
    const rotated = await token(stack, {
      grant_type: "refresh_token",
      refresh_token: refresh,
      client_id: client.client_id,
    });
    rotatedAccess = rotated.json.access_token as string;
    rotatedRefresh = rotated.json.refresh_token as string;
    // The raw store while the grant is live: only ciphertexts and hashes.
    const files = [stack.dbPath, `${stack.dbPath}-wal`].map((p) => {
      try {
        return readFileSync(p).toString("latin1");
      } catch {
        return "";
      }
    });
    const rows = stack.raw();
    const db = new DatabaseSync(stack.dbPath, { readOnly: true });
    const grants = db.prepare("SELECT key_sealed FROM oauth_grants").all() as { key_sealed: string }[];
    const hashes = db
      .prepare("SELECT hash FROM oauth_tokens UNION ALL SELECT hash FROM oauth_codes")
      .all() as {
      hash: string;
    }[];
    db.close();
    expect(grants).toHaveLength(1);
    expect(grants[0]?.key_sealed).toMatch(/^v1\.[0-9a-f]{8}\.[\w-]{16}\.[\w-]+$/);
    expect(hashes.length).toBeGreaterThanOrEqual(4);
    for (const { hash } of hashes) expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const secrets = {
      SANDBOX_KEY,
      SECRET,
      access,
      refresh,
      rotatedAccess,
      rotatedRefresh,
      code,
      csrf: s.csrf,
    };
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThan(20);
      for (const [i, file] of files.entries())
        expect(file.includes(secret), `${name} in store file ${i}`).toBe(false);
      expect(rows.includes(secret), `${name} in store rows`).toBe(false);
    }
    // Replay, revoke and refused requests: their answers and log lines too.
    seen.push(
      JSON.stringify(
        (
          await token(stack, {
            grant_type: "refresh_token",
            refresh_token: refresh,
            client_id: client.client_id,
          })
        ).json,
      ),
    );
    const refused = await callMcp(stack, rotatedAccess);
    seen.push(refused.body, refused.wwwAuthenticate);
  } finally {
    stderr.stop();
  }
  const logs = stderr.text();
  expect(logs).toContain("oauth: client");
  expect(logs).toContain("revoked (refresh token replayed)");
  const everywhere = { logs, sent: seen.join("\n") };
  const tokens = { SANDBOX_KEY, SECRET, access, refresh, rotatedAccess, rotatedRefresh };
  for (const [where, text] of Object.entries(everywhere)) {
    for (const [name, secret] of Object.entries(tokens))
      expect(text.includes(secret), `${name} in ${where}`).toBe(false);
  }
  // The code travels once, in the redirect to the client, and is logged nowhere.
  expect(logs.includes(code)).toBe(false);
});
