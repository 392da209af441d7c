import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/chromium.js";
import { callMcp, pkce, register } from "./form-flow.js";
import { SANDBOX_KEY, type Stack, startStack } from "./support.js";

/**
 * The whole flow as a person and an assistant go through it: Debian's Chromium (headless) on the
 * real pages, the SDK's own OAuth client (discovery, dynamic registration, PKCE, token exchange,
 * refresh) as the assistant, the sandbox as MOCO. Screenshots land in test/oauth/artifacts/.
 */

const ARTIFACTS = join(import.meta.dirname, "artifacts");
const CHROMIUM = CHROMIUM_PATH;

/** The assistant's side: keeps what the SDK hands it, and notes where it sends the person. */
class AssistantAuth implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;
  constructor(readonly redirectUrl: string) {}
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "Test Assistant",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

let stack: Stack;
let browser: Browser;
let callback: Server;
let callbackUrl: string;
const codes: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack();
  callback = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const code = url.searchParams.get("code");
    if (code) codes.push(code);
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><title>Assistant</title><h1>${code ? "Connected" : "Not connected"}</h1>`);
  });
  await new Promise<void>((resolve) => callback.listen(0, "127.0.0.1", resolve));
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (callback ? callback.close(() => resolve()) : resolve()));
  await stack?.close();
});

const text = (r: CallToolResult) =>
  (r.content as { type: string; text: string }[]).map((c) => c.text).join("\n");

it("walks registration → sign-in → consent → code → tokens → tools/call → refresh → revoke → 401", async () => {
  const auth = new AssistantAuth(callbackUrl);

  // 1. The assistant connects, is told 401, discovers the server and registers itself.
  const first = new Client({ name: "assistant", version: "1.0.0" });
  await expect(
    first.connect(new StreamableHTTPClientTransport(new URL(stack.mcp), { authProvider: auth })),
  ).rejects.toThrow(UnauthorizedError);
  expect(auth.info?.client_id).toMatch(/^[0-9a-f-]{36}$/);
  const authorizationUrl = auth.authorizationUrl as URL;
  expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${stack.base}/authorize`);
  expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorizationUrl.searchParams.get("resource")).toBe(stack.mcp);

  // 2. The person's browser: the sign-in page, a wrong key first, then the sandbox key.
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  await page.goto(authorizationUrl.href);
  await expect(page.title()).resolves.toBe("Connect Test Assistant to MOCO");
  await page.screenshot({ path: join(ARTIFACTS, "1-sign-in.png"), fullPage: true });
  await page.fill("#api_key", "wrong-key-0000000000000");
  await page.click("button[value=sign-in]");
  await expect(page.locator(".error").textContent()).resolves.toContain("MOCO did not accept this API key");
  await page.screenshot({ path: join(ARTIFACTS, "2-wrong-key.png"), fullPage: true });
  expect(stack.counts()).toMatchObject({ oauth_pending: 0, oauth_grants: 0 });

  await page.fill("#api_key", SANDBOX_KEY);
  await page.click("button[value=sign-in]");
  const profile = stack.sandbox.store.profile();
  await expect(page.locator(".who").textContent()).resolves.toContain(
    `${profile.firstname} ${profile.lastname}`,
  );
  await page.screenshot({ path: join(ARTIFACTS, "3-consent.png"), fullPage: true });

  // 3. Consent: the browser is sent back to the assistant with a code.
  await Promise.all([page.waitForURL(/\/callback\?/), page.click("button[value=write]")]);
  await page.screenshot({ path: join(ARTIFACTS, "4-back-at-assistant.png") });
  const back = new URL(page.url());
  expect(back.searchParams.get("state")).toBe(authorizationUrl.searchParams.get("state"));
  expect(codes).toHaveLength(1);
  await page.close();

  // 4. The SDK exchanges the code (PKCE) and calls a tool with the person's token.
  const transport = new StreamableHTTPClientTransport(new URL(stack.mcp), { authProvider: auth });
  await transport.finishAuth(codes[0] as string);
  const firstTokens = auth.saved as OAuthTokens;
  expect(firstTokens.access_token).toMatch(/^mlm_at_/);
  const client = new Client({ name: "assistant", version: "1.0.0" });
  await client.connect(transport);
  const listed = (await client.callTool({ name: "list_leads", arguments: {} })) as CallToolResult;
  expect(listed.isError).toBeFalsy();
  expect(text(listed)).toMatch(/lead/i);
  const leadsRequests = stack.sandbox.requests.filter((r) => r.path === "/deals");
  expect(leadsRequests.length).toBeGreaterThan(0);

  // 5. The access token expires; the SDK refreshes on the 401 by itself and the call goes through.
  stack.clock.now += 901_000;
  expect((await callMcp(stack, firstTokens.access_token)).status).toBe(401);
  const again = (await client.callTool({ name: "pipeline_summary", arguments: {} })) as CallToolResult;
  expect(again.isError).toBeFalsy();
  const refreshed = auth.saved as OAuthTokens;
  expect(refreshed.access_token).not.toBe(firstTokens.access_token);
  expect(refreshed.refresh_token).not.toBe(firstTokens.refresh_token);

  // 6. Revocation (RFC 7009) ends the grant: the token now gets 401, and so does the SDK client.
  const revoked = await fetch(`${stack.base}/revoke`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      token: refreshed.refresh_token as string,
      client_id: auth.info?.client_id as string,
    }).toString(),
  });
  expect(revoked.status).toBe(200);
  const after = await callMcp(stack, refreshed.access_token);
  expect(after.status).toBe(401);
  expect(after.wwwAuthenticate).toContain('error="invalid_token"');
  await expect(client.callTool({ name: "list_leads", arguments: {} })).rejects.toThrow();
  expect(stack.counts()).toMatchObject({ oauth_tokens: 0 });
  await client.close();
}, 90_000);

it("on a team server asks for the subdomain and says in the page when it is not on the allow-list", async () => {
  const team = await startStack({ loopbackBaseUrl: undefined, subdomains: ["acme", "acme-studio"] });
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  try {
    const { json: client } = await register(team, { client_name: "Claude", redirect_uris: [callbackUrl] });
    const url = new URL(`${team.base}/authorize`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: callbackUrl,
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
      resource: team.mcp,
    }).toString();
    await page.goto(url.href);
    await page.fill("#subdomain", "evilcorp");
    await page.fill("#api_key", SANDBOX_KEY);
    await page.click("button[value=sign-in]");
    await expect(page.locator(".error").textContent()).resolves.toBe(
      "This server is not set up for the MOCO account evilcorp.mocoapp.com.",
    );
    await expect(page.inputValue("#subdomain")).resolves.toBe("evilcorp");
    await expect(page.inputValue("#api_key")).resolves.toBe("");
    await page.screenshot({ path: join(ARTIFACTS, "5-team-subdomain-refused.png"), fullPage: true });
    expect(team.sandbox.requests).toHaveLength(0);
    expect(team.counts()).toMatchObject({ oauth_pending: 0, oauth_grants: 0 });
  } finally {
    await page.close();
    await team.close();
  }
}, 60_000);

it("a browser that lost the sign-in cookie gets the CSRF page, and nothing is stored", async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const page = await context.newPage();
  try {
    const { json: client } = await register(stack, { client_name: "Claude", redirect_uris: [callbackUrl] });
    const url = new URL(`${stack.base}/authorize`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: callbackUrl,
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
      resource: stack.mcp,
    }).toString();
    await page.goto(url.href);
    await context.clearCookies();
    const before = stack.counts();
    const requests = stack.sandbox.requests.length;
    await page.fill("#api_key", SANDBOX_KEY);
    await page.click("button[value=sign-in]");
    await expect(page.locator("h1").textContent()).resolves.toBe("This form could not be verified");
    await page.screenshot({ path: join(ARTIFACTS, "6-csrf-refused.png"), fullPage: true });
    expect(stack.sandbox.requests.length).toBe(requests);
    expect(stack.counts()).toEqual(before);
  } finally {
    await context.close();
  }
}, 60_000);
