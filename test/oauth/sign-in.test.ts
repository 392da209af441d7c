import { afterEach, describe, expect, it } from "vitest";
import { authorize, callMcp, pkce, post, REDIRECT, register, signIn, token } from "./form-flow.js";
import { type Stack, startStack } from "./support.js";

/** The person's pages: every refusal says why on the page (or to the client) and stores nothing. */
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const NOTHING = { oauth_grants: 0, oauth_codes: 0, oauth_tokens: 0, oauth_pending: 0 };

async function begin(s: Stack) {
  const { json: client } = await register(s);
  const { verifier, challenge } = pkce();
  return { client, verifier, session: await authorize(s, client.client_id, challenge) };
}

describe("GET /authorize", () => {
  it("shows the sign-in page with a CSRF cookie, strict CSP and no framing", async () => {
    stack = await startStack();
    const { json: client } = await register(stack);
    const res = await fetch(
      `${stack.base}/authorize?${new URLSearchParams({
        response_type: "code",
        client_id: client.client_id,
        redirect_uri: REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: "S256",
        resource: stack.mcp,
      })}`,
    );
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self' http://127.0.0.1:9");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("set-cookie")).toMatch(
      /^mlm_csrf_[0-9a-f]{12}=[\w-]{43}; Path=\/oauth; HttpOnly; SameSite=Lax/,
    );
    const html = await res.text();
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
    expect(html).toContain("Your personal MOCO API key");
  });

  it("refuses a redirect URI the client did not register with invalid_request, before any page", async () => {
    stack = await startStack();
    const { json: client } = await register(stack);
    const s = await authorize(stack, client.client_id, pkce().challenge, {
      redirect_uri: "http://127.0.0.1:9/evil",
    });
    expect(s.status).toBe(400);
    expect(JSON.parse(s.html)).toMatchObject({
      error: "invalid_request",
      error_description: "Unregistered redirect_uri",
    });
    expect(s.location).toBeNull();
  });

  it("refuses the plain PKCE method: back to the client with invalid_request", async () => {
    stack = await startStack();
    const { json: client } = await register(stack);
    const s = await authorize(stack, client.client_id, "a".repeat(43), { code_challenge_method: "plain" });
    expect(s.status).toBe(302);
    expect(new URL(s.location as string).searchParams.get("error")).toBe("invalid_request");
  });

  it("refuses a resource other than this server's /mcp: back to the client with invalid_target", async () => {
    stack = await startStack();
    const { json: client } = await register(stack);
    const s = await authorize(stack, client.client_id, pkce().challenge, {
      resource: "https://api.example/mcp",
    });
    expect(s.status).toBe(302);
    const back = new URL(s.location as string);
    expect(back.searchParams.get("error")).toBe("invalid_target");
    expect(back.searchParams.get("state")).toBe("st-123");
  });
});

describe("POST /oauth/sign-in", () => {
  it("with a bad MOCO key: the page says MOCO refused it, and nothing is stored", async () => {
    stack = await startStack();
    const { session } = await begin(stack);
    const res = await signIn(stack, session, { api_key: "not-the-right-key-123456" });
    expect(res.status).toBe(401);
    expect(res.html).toContain("MOCO did not accept this API key");
    expect(res.html).not.toContain("not-the-right-key-123456");
    expect(stack.counts()).toMatchObject(NOTHING);
    expect(stack.sandbox.requests.filter((r) => r.path.endsWith("/profile")).length).toBe(1);
  });

  it("with a subdomain not on the allow-list: refused on the page without asking MOCO, nothing stored", async () => {
    stack = await startStack({ loopbackBaseUrl: undefined, subdomains: ["acme", "beta"] });
    const { session } = await begin(stack);
    expect(session.html).toContain('name="subdomain"');
    const res = await signIn(stack, session, { subdomain: "evilcorp" });
    expect(res.status).toBe(400);
    expect(res.html).toContain("This server is not set up for the MOCO account evilcorp.mocoapp.com.");
    expect(stack.sandbox.requests.length).toBe(0);
    expect(stack.counts()).toMatchObject(NOTHING);
  });

  it("bounds key checks per address: past the budget 429 without asking MOCO, nothing stored", async () => {
    stack = await startStack({ signInsPer15Minutes: 2 });
    const { session } = await begin(stack);
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await signIn(stack, session, { api_key: `wrong-key-${i}-0000000000` })).status);
    expect(statuses).toEqual([401, 401, 429]);
    expect(stack.sandbox.requests.length).toBe(2);
    expect(stack.counts()).toMatchObject(NOTHING);
  });

  it("shows a single allowed subdomain fixed, without an input", async () => {
    stack = await startStack({ loopbackBaseUrl: undefined, subdomains: ["acme"] });
    const { session } = await begin(stack);
    expect(session.html).toContain("MOCO account: <strong>acme.mocoapp.com</strong>");
    expect(session.html).not.toContain('name="subdomain"');
  });

  it("without the CSRF field: 403, no MOCO request, nothing stored", async () => {
    stack = await startStack();
    const { session } = await begin(stack);
    const res = await post(
      stack,
      "/oauth/sign-in",
      { request: session.request, api_key: "sandbox-person-key-7f3a9c2e5b8d1046" },
      session.cookie,
    );
    expect(res.status).toBe(403);
    expect(res.html).toContain("CSRF check");
    expect(stack.sandbox.requests.length).toBe(0);
    expect(stack.counts()).toMatchObject(NOTHING);
  });

  it("without the CSRF cookie (a form posted from another site): 403, nothing stored", async () => {
    stack = await startStack();
    const { session } = await begin(stack);
    const res = await signIn(stack, { ...session, cookie: "" });
    expect(res.status).toBe(403);
    expect(stack.sandbox.requests.length).toBe(0);
    expect(stack.counts()).toMatchObject(NOTHING);
  });

  it("with an oversized form: 413, nothing stored", async () => {
    stack = await startStack();
    const { session } = await begin(stack);
    const res = await signIn(stack, session, { filler: "x".repeat(9000) });
    expect(res.status).toBe(413);
    expect(res.html).toContain("The form is too large.");
    expect(stack.sandbox.requests.length).toBe(0);
    expect(stack.counts()).toMatchObject(NOTHING);
  });

  it("with a tampered authorization request: 400, nothing stored", async () => {
    stack = await startStack();
    const { session } = await begin(stack);
    const tampered = `${session.request.slice(0, -4)}AAAA`;
    const res = await signIn(stack, { ...session, request: tampered });
    expect(res.status).toBe(400);
    expect(res.html).toContain("This sign-in page has expired");
    expect(stack.counts()).toMatchObject(NOTHING);
  });

  it("with the sandbox key: the consent page names the person and the account", async () => {
    stack = await startStack();
    const { session } = await begin(stack);
    const res = await signIn(stack, session);
    expect(res.status).toBe(200);
    const profile = stack.sandbox.store.profile();
    expect(res.html).toContain(`${profile.firstname} ${profile.lastname} (${profile.email})`);
    expect(res.html).toContain(new URL(stack.sandbox.url).host);
    expect(res.html).toContain("Allow read and write");
    expect(stack.counts()).toMatchObject({ ...NOTHING, oauth_pending: 1 });
  });
});

describe("POST /oauth/consent", () => {
  it("deny: back to the client with access_denied, nothing kept", async () => {
    stack = await startStack();
    const { session } = await begin(stack);
    const signed = await signIn(stack, session);
    const res = await post(
      stack,
      "/oauth/consent",
      { pending: signed.pending, csrf: session.csrf, decision: "deny" },
      session.cookie,
    );
    expect(res.status).toBe(302);
    expect(new URL(res.location as string).searchParams.get("error")).toBe("access_denied");
    expect(stack.counts()).toMatchObject(NOTHING);
  });

  it("without the CSRF field: 403 and no grant", async () => {
    stack = await startStack();
    const { session } = await begin(stack);
    const signed = await signIn(stack, session);
    const res = await post(
      stack,
      "/oauth/consent",
      { pending: signed.pending, decision: "write" },
      session.cookie,
    );
    expect(res.status).toBe(403);
    expect(stack.counts()).toMatchObject({ oauth_grants: 0, oauth_codes: 0, oauth_tokens: 0 });
  });

  it("read-only: the token's scope is leads:read and the server lists no tool that writes", async () => {
    stack = await startStack();
    const { client, verifier, session } = await begin(stack);
    const signed = await signIn(stack, session);
    const res = await post(
      stack,
      "/oauth/consent",
      { pending: signed.pending, csrf: session.csrf, decision: "read" },
      session.cookie,
    );
    const code = new URL(res.location as string).searchParams.get("code") as string;
    const tokens = await token(stack, {
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      client_id: client.client_id,
      redirect_uri: REDIRECT,
    });
    expect(tokens.json.scope).toBe("leads:read");
    const list = JSON.parse((await callMcp(stack, tokens.json.access_token)).body) as {
      result: { tools: { name: string }[] };
    };
    const names = list.result.tools.map((t) => t.name);
    expect(names).toContain("list_leads");
    expect(names).not.toContain("create_lead");
    expect(names).not.toContain("delete_lead");
  });

  it("offers only read-only access to a client that asked for leads:read alone", async () => {
    stack = await startStack();
    const { json: client } = await register(stack);
    const s = await authorize(stack, client.client_id, pkce().challenge, { scope: "leads:read" });
    const signed = await signIn(stack, s);
    expect(signed.html).toContain("Allow read-only");
    expect(signed.html).not.toContain("Allow read and write");
    // A "write" answer forged into the form still yields a read-only grant.
    const res = await post(
      stack,
      "/oauth/consent",
      { pending: signed.pending, csrf: s.csrf, decision: "write" },
      s.cookie,
    );
    expect(res.status).toBe(302);
    const grants = await stack.oauth.store.listGrants();
    expect(grants.map((g) => g.scope)).toEqual(["leads:read"]);
  });

  it("on a read-only server only offers read-only access", async () => {
    stack = await startStack({ readOnly: true });
    const { session } = await begin(stack);
    const signed = await signIn(stack, session);
    expect(signed.html).toContain("Allow read-only");
    expect(signed.html).not.toContain("Allow read and write");
  });
});
