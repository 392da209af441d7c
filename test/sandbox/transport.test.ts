import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { call, newLead, TODAY } from "./helpers.js";

describe("sandbox transport: auth, content types, routing", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ today: TODAY, apiKey: "secret-test-key" });
  });
  afterAll(() => sb.close());

  it("exposes a base URL with /api/v1 and the key", () => {
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(sb.apiKey).toBe("secret-test-key");
  });

  it("answers 401 {message: Unauthorized} without a key or with a wrong one, without echoing it", async () => {
    for (const key of [null, "wrong-key"]) {
      const answer = await call(sb, "GET", "/deals", { key });
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({ message: "Unauthorized" });
      expect(answer.text).not.toContain("wrong-key");
    }
  });

  it("accepts Token token=KEY (also quoted) and Bearer KEY", async () => {
    for (const authorization of [
      'Token token="secret-test-key"',
      "Bearer secret-test-key",
      "token token=secret-test-key",
    ]) {
      const answer = await call(sb, "GET", "/session", { headers: { authorization } });
      expect(answer.status).toBe(200);
    }
  });

  it("answers JSON with charset utf-8", async () => {
    const answer = await call(sb, "GET", "/deals/388101");
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
  });

  it("answers unknown routes, unknown ids and non-numeric ids with 404 and an empty body", async () => {
    for (const path of ["/nothing", "/deals/1", "/deals/abc", "/deals/388101/extra"]) {
      const answer = await call(sb, "GET", path);
      expect(answer.status, path).toBe(404);
      expect(answer.text, path).toBe("");
    }
  });

  it("tolerates a trailing slash and a .json suffix", async () => {
    expect((await call(sb, "GET", "/deals/388101.json")).status).toBe(200);
    expect((await call(sb, "GET", "/deal_categories/")).status).toBe(200);
  });

  it("refuses a body without the JSON content type (415), invalid JSON (422) and huge bodies (413)", async () => {
    const before = sb.store.deals.length;
    const wrongType = await call(sb, "POST", "/deals", {
      raw: JSON.stringify(newLead(sb)),
      headers: { "content-type": "text/plain" },
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.json).toEqual({ message: "Content-Type must be application/json" });
    const missingType = await call(sb, "POST", "/deals", { raw: JSON.stringify(newLead(sb)) });
    expect(missingType.status).toBe(415);
    const invalid = await call(sb, "POST", "/deals", {
      raw: "{name:",
      headers: { "content-type": "application/json" },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.json).toEqual({ message: "Invalid payload" });
    const huge = await call(sb, "POST", "/deals", { body: newLead(sb, { info: "x".repeat(1_100_000) }) });
    expect(huge.status).toBe(413);
    expect(sb.store.deals.length).toBe(before);
  });

  it("accepts application/json with a charset parameter", async () => {
    const answer = await call(sb, "POST", "/deals", {
      body: newLead(sb),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(answer.status).toBe(200);
  });

  it("records every request in order with path, query, body and status", async () => {
    sb.requests.length = 0;
    await call(sb, "GET", "/deals?status=won&per_page=5");
    await call(sb, "PUT", "/deals/388102", { body: { info: "recorded" } });
    await call(sb, "GET", "/deals", { key: "nope" });
    expect(sb.requests).toEqual([
      { method: "GET", path: "/deals", query: "status=won&per_page=5", body: undefined, status: 200 },
      { method: "PUT", path: "/deals/388102", query: "", body: { info: "recorded" }, status: 200 },
      { method: "GET", path: "/deals", query: "", body: undefined, status: 401 },
    ]);
  });

  it("counts requests", async () => {
    await call(sb, "GET", "/deals?per_page=1");
    expect(sb.stats.requests).toBeGreaterThanOrEqual(1);
    expect(sb.stats.requests).toBeGreaterThanOrEqual(sb.requests.length);
    expect(sb.stats.maxConcurrent).toBeGreaterThanOrEqual(1);
  });
});

describe("sandbox with a read-only key", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ today: TODAY, readOnlyKey: true });
  });
  afterAll(() => sb.close());

  it("reads normally but answers every write with 403 and an empty body", async () => {
    expect((await call(sb, "GET", "/deals")).status).toBe(200);
    const before = sb.store.deals.length;
    for (const [method, path] of [
      ["POST", "/deals"],
      ["PUT", "/deals/388101"],
      ["PATCH", "/deals/388101"],
      ["DELETE", "/deals/388101"],
      ["POST", "/comments"],
    ] as const) {
      const answer = await call(sb, method, path, { body: newLead(sb) });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.text).toBe("");
    }
    expect(sb.store.deals.length).toBe(before);
    expect(sb.store.deal(388101)?.name).not.toBe("Testlead");
  });
});
