import { Readable } from "node:stream";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { REDIRECT } from "./form-flow.js";
import { type Stack, startStack } from "./support.js";

/**
 * Registration cannot be exhausted: per address, for the whole server, and the number of clients
 * kept, each answered 429 with Retry-After; every metadata field and the body bounded.
 */
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const METADATA = {
  client_name: "Flood Client",
  redirect_uris: [REDIRECT],
  token_endpoint_auth_method: "none",
};

/** A registration as sent from `address` (behind a proxy that says so in X-Forwarded-For). */
async function registerFrom(s: Stack, address: string, metadata: Record<string, unknown> = {}) {
  const res = await fetch(`${s.base}/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Forwarded-For": address },
    body: JSON.stringify({ ...METADATA, ...metadata }),
  });
  const json = (await res.json()) as { client_id?: string; error?: string; error_description?: string };
  return { status: res.status, retryAfter: res.headers.get("retry-after"), json };
}

describe("registration limits answer 429 with Retry-After", () => {
  it("the client cap: 429 with Retry-After until the oldest idle client is an hour old, then room", async () => {
    stack = await startStack({ maxClients: 3, trustProxy: true });
    for (let i = 0; i < 3; i++) expect((await registerFrom(stack, `10.0.0.${i}`)).status).toBe(201);
    stack.clock.now += 10 * 60_000;
    const full = await registerFrom(stack, "10.0.1.1");
    expect(full.status).toBe(429);
    expect(full.json.error).toBe("too_many_requests");
    expect(Number(full.retryAfter)).toBe(50 * 60);
    stack.clock.now += Number(full.retryAfter) * 1000;
    expect((await registerFrom(stack, "10.0.1.1")).status).toBe(201);
    expect(stack.counts().oauth_clients).toBe(3);
  });

  it("many addresses together are held to the server's rate per minute", async () => {
    stack = await startStack({ trustProxy: true, registrationsPerMinute: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await registerFrom(stack, `10.1.0.${i}`)).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
    const refused = await registerFrom(stack, "10.1.1.1");
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    stack.clock.now += Number(refused.retryAfter) * 1000;
    expect((await registerFrom(stack, "10.1.1.1")).status).toBe(201);
  });

  it("one address past its hourly budget gets Retry-After too", async () => {
    stack = await startStack({ trustProxy: true, registrationsPerHour: 2 });
    expect((await registerFrom(stack, "10.2.0.1")).status).toBe(201);
    expect((await registerFrom(stack, "10.2.0.1")).status).toBe(201);
    const third = await registerFrom(stack, "10.2.0.1");
    expect(third.status).toBe(429);
    expect(Number(third.retryAfter)).toBe(3600);
    expect((await registerFrom(stack, "10.2.0.2")).status).toBe(201);
  });

  it("a flood from 500 addresses over 70 minutes blocks a new registration for at most 60 s", async () => {
    // The defaults: 1000 clients kept, 15 registrations a minute, 60 per address and hour.
    stack = await startStack({ trustProxy: true });
    let n = 0;
    const flood = async () => {
      for (let i = 0; i < 16; i++) await registerFrom(stack as Stack, `10.3.${n % 250}.${n++ % 4}`);
    };
    // A minute by minute flood that spends every minute's budget; after 67 minutes the cap is reached.
    for (let minute = 0; minute < 70; minute++) {
      await flood();
      stack.clock.now += 60_000;
    }
    expect(stack.counts().oauth_clients).toBeLessThanOrEqual(1000);
    // The worst moment: the flood has just spent this minute's budget (and the cap is full).
    await flood();
    const start = stack.clock.now;
    let res = await registerFrom(stack, "192.0.2.7");
    while (res.status === 429) {
      stack.clock.now += Number(res.retryAfter) * 1000;
      res = await registerFrom(stack, "192.0.2.7");
    }
    expect(res.status).toBe(201);
    expect(stack.clock.now - start).toBeLessThanOrEqual(60_000);
  }, 60_000);
});

describe("registration metadata and body are bounded", () => {
  const long = `https://claude.ai/${"a".repeat(600)}`;
  for (const [label, field, value] of [
    ["a 618-character logo_uri", "logo_uri", long],
    ["a 618-character policy_uri", "policy_uri", long],
    ["a 618-character client_uri", "client_uri", long],
    ["a 618-character tos_uri", "tos_uri", long],
    ["a 200-character software_id", "software_id", "s".repeat(200)],
    ["six contacts", "contacts", ["a@b.ch", "c@d.ch", "e@f.ch", "g@h.ch", "i@j.ch", "k@l.ch"]],
    ["a 605-character contact", "contacts", [`${"x".repeat(600)}@b.ch`]],
  ] as const) {
    it(`refuses ${label} with invalid_client_metadata and stores nothing`, async () => {
      stack = await startStack();
      const res = await registerFrom(stack, "10.4.0.1", { [field]: value });
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("invalid_client_metadata");
      expect(res.json.error_description).toContain(field);
      expect(stack.counts().oauth_clients).toBe(0);
    });
  }

  it("counts the bytes of a chunked body: 70 KB without Content-Length is 413 and stores nothing", async () => {
    stack = await startStack();
    const body = JSON.stringify({ ...METADATA, client_name: "x", padding: "p".repeat(70 * 1024) });
    const res = await request(`${stack.base}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: Readable.from([body.slice(0, 1000), body.slice(1000)]),
    });
    expect(res.statusCode).toBe(413);
    await res.body.dump();
    expect(stack.counts().oauth_clients).toBe(0);
  });
});
