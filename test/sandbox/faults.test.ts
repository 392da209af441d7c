import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { faultReply } from "../../src/sandbox/fault-replies.js";
import { type Fault, parseFaultsEnv, type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { call, newLead, sleep, TODAY } from "./helpers.js";

describe("fault injection", () => {
  let sb: Sandbox;
  const count = (name: string) => sb.store.deals.filter((d) => d.name === name).length;

  beforeAll(async () => {
    sb = await startSandbox({ today: TODAY });
  });
  beforeEach(() => {
    sb.faults.length = 0;
  });
  afterAll(() => sb.close());

  it("status: answers the given status and body once, without applying the request", async () => {
    sb.faults.push({
      kind: "status",
      method: "POST",
      path: "/deals",
      status: 422,
      body: { name: ["muss ausgefüllt werden"] },
    });
    const faulted = await call(sb, "POST", "/deals", { body: newLead(sb, { name: "status-fault" }) });
    expect(faulted.status).toBe(422);
    expect(faulted.json).toEqual({ name: ["muss ausgefüllt werden"] });
    expect(count("status-fault")).toBe(0);
    expect(sb.faults).toEqual([]);
    expect((await call(sb, "POST", "/deals", { body: newLead(sb, { name: "status-fault" }) })).status).toBe(
      200,
    );
  });

  it("status: defaults the body to a message", async () => {
    sb.faults.push({ kind: "status", status: 503 });
    const answer = await call(sb, "GET", "/deals");
    expect(answer.status).toBe(503);
    expect(answer.json).toEqual({ message: "Service Unavailable" });
  });

  it("rate_limit: 429 Too many requests without Retry-After unless asked for one", async () => {
    const before = sb.stats.rateLimited;
    sb.faults.push({ kind: "rate_limit" }, { kind: "rate_limit", retryAfter: "2" });
    const plain = await call(sb, "GET", "/deals");
    expect(plain.status).toBe(429);
    expect(plain.json).toEqual({ message: "Too many requests" });
    expect(plain.headers["retry-after"]).toBeUndefined();
    const withHeader = await call(sb, "GET", "/deals");
    expect(withHeader.headers["retry-after"]).toBe("2");
    expect(sb.stats.rateLimited).toBe(before + 2);
  });

  it("slow: answers normally after the delay", async () => {
    sb.faults.push({ kind: "slow", delayMs: 80 });
    const started = performance.now();
    const answer = await call(sb, "POST", "/deals", { body: newLead(sb, { name: "slow-fault" }) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(70);
    expect(answer.status).toBe(200);
    expect(count("slow-fault")).toBe(1);
  });

  it("slow: does not apply the request when the client gave up first", async () => {
    sb.faults.push({ kind: "slow", delayMs: 80 });
    sb.requests.length = 0;
    const body = newLead(sb, { name: "abandoned" });
    await expect(call(sb, "POST", "/deals", { body, signal: AbortSignal.timeout(20) })).rejects.toThrow();
    await sleep(110);
    expect(count("abandoned")).toBe(0);
    expect(sb.requests[0]?.status).toBe(0);
  });

  it("reset: destroys the socket without applying the request", async () => {
    sb.faults.push({ kind: "reset", method: "POST" });
    await expect(
      call(sb, "POST", "/deals", { body: newLead(sb, { name: "reset-fault" }) }),
    ).rejects.toThrow();
    expect(count("reset-fault")).toBe(0);
    expect((await call(sb, "GET", "/deals/388101")).status).toBe(200);
  });

  it("reset_after_commit: creates exactly one lead while the client only sees a broken response", async () => {
    sb.faults.push({ kind: "reset_after_commit", method: "POST", path: "/deals" });
    await expect(call(sb, "POST", "/deals", { body: newLead(sb, { name: "committed" }) })).rejects.toThrow();
    expect(count("committed")).toBe(1);
    expect(sb.requests.at(-1)).toMatchObject({ method: "POST", path: "/deals", status: 200 });
  });

  it("malformed_json: 200 with a JSON content type and a body that does not parse; nothing applied", async () => {
    sb.faults.push({ kind: "malformed_json" });
    const res = await request(`${sb.url}/deals/388101`, {
      method: "PUT",
      headers: { authorization: `Token token=${sb.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "malformed" }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    const text = await res.body.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(sb.store.deal(388101)?.name).not.toBe("malformed");
  });

  it("oversized: a valid JSON array of the requested size, 12 MB by default", async () => {
    sb.faults.push({ kind: "oversized", bytes: 100_000 });
    const small = await call(sb, "GET", "/deals");
    expect(Array.isArray(small.json)).toBe(true);
    expect(Buffer.byteLength(small.text)).toBeGreaterThanOrEqual(100_000);
    expect(Buffer.byteLength(small.text)).toBeLessThan(110_000);
    // The default size, checked without sending 12 MB through the socket.
    const big = faultReply({ kind: "oversized" }, sb.store).body ?? "";
    expect(Buffer.byteLength(big)).toBeGreaterThanOrEqual(12 * 1024 * 1024);
    expect(big.endsWith("}]")).toBe(true);
  });

  it("empty: the given status (default 200) with an empty body", async () => {
    sb.faults.push({ kind: "empty", status: 404 }, { kind: "empty" });
    const notFound = await call(sb, "GET", "/deals/388101");
    expect([notFound.status, notFound.text]).toEqual([404, ""]);
    const ok = await call(sb, "GET", "/deals/388101");
    expect([ok.status, ok.text]).toEqual([200, ""]);
  });

  it("matches by method and path (prefix or RegExp), counts down `times`, checks the key first", async () => {
    const fault: Fault = { kind: "status", status: 500, method: "get", path: /^\/deals\/\d+$/, times: 2 };
    sb.faults.push({ kind: "status", status: 502, path: "/companies" }, fault);
    expect((await call(sb, "GET", "/deals")).status).toBe(200);
    expect((await call(sb, "PUT", "/deals/388101", { body: {} })).status).toBe(200);
    expect((await call(sb, "GET", "/deals/388101", { key: "wrong" })).status).toBe(401);
    expect((await call(sb, "GET", "/deals/388101")).status).toBe(500);
    expect(fault.times).toBe(1);
    expect((await call(sb, "GET", "/deals/388102")).status).toBe(500);
    expect((await call(sb, "GET", "/deals/388102")).status).toBe(200);
    expect(sb.faults).toHaveLength(1);
    expect((await call(sb, "GET", "/companies?term=x")).status).toBe(502);
  });

  it("keeps a fault with times: Infinity and tracks the maximum concurrency", async () => {
    sb.faults.push({ kind: "slow", delayMs: 60, times: Number.POSITIVE_INFINITY, path: "/deal_categories" });
    const answers = await Promise.all([1, 2, 3, 4].map(() => call(sb, "GET", "/deal_categories")));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(sb.faults).toHaveLength(1);
    expect(sb.stats.maxConcurrent).toBeGreaterThanOrEqual(4);
  });
});

describe("faults from the start options", () => {
  it("applies the initial plan", async () => {
    const sb = await startSandbox({ today: TODAY, faults: [{ kind: "status", status: 500 }] });
    try {
      expect((await call(sb, "GET", "/session")).status).toBe(500);
      expect((await call(sb, "GET", "/session")).status).toBe(200);
    } finally {
      await sb.close();
    }
  });
});

describe("parseFaultsEnv", () => {
  it("reads a JSON array with Infinity and re: paths", () => {
    const faults = parseFaultsEnv(
      '[{"kind":"rate_limit","path":"/deals","times":2},{"kind":"slow","delayMs":1500,"method":"GET","times":"Infinity","path":"re:^/deals/\\\\d+$"}]',
    );
    expect(faults[0]).toEqual({ kind: "rate_limit", path: "/deals", times: 2 });
    expect(faults[1]?.times).toBe(Number.POSITIVE_INFINITY);
    const path = faults[1]?.path;
    expect(path instanceof RegExp && path.test("/deals/12") && !path.test("/deals")).toBe(true);
    expect(parseFaultsEnv("")).toEqual([]);
  });

  it("names the problem in an invalid plan", () => {
    expect(() => parseFaultsEnv("{")).toThrow(/JSON array/);
    expect(() => parseFaultsEnv('[{"kind":"explode"}]')).toThrow(/\[0\].*kind/);
    expect(() => parseFaultsEnv('[{"kind":"slow","delayMs":"soon"}]')).toThrow(/delayMs/);
  });
});

describe("close()", () => {
  it("returns promptly even with a request waiting in a slow fault", async () => {
    const sb = await startSandbox({ today: TODAY, faults: [{ kind: "slow", delayMs: 10_000 }] });
    const pending = call(sb, "GET", "/session").catch((error: unknown) => error);
    await sleep(30);
    const started = performance.now();
    await sb.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });
});
