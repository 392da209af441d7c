import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { call, sleep, TODAY } from "./helpers.js";

describe("the rate limit", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ today: TODAY, rateLimit: { limit: 3, windowMs: 400 } });
  });
  afterAll(() => sb.close());

  it("answers 429 beyond the limit in a sliding window, without Retry-After", async () => {
    const status = async () => (await call(sb, "GET", "/session")).status;
    expect(await status()).toBe(200); // t≈0
    await sleep(200);
    expect([await status(), await status()]).toEqual([200, 200]); // t≈200
    const limited = await call(sb, "GET", "/session");
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ message: "Too many requests" });
    expect(limited.headers["retry-after"]).toBeUndefined();
    await sleep(250); // t≈450: the first request left the window, the two at t≈200 have not
    expect([await status(), await status()]).toEqual([200, 429]);
    await sleep(220); // t≈670: the two at t≈200 left the window
    expect(await status()).toBe(200);
    expect(sb.stats.rateLimited).toBe(2);
  });
});
