import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MirrorRegistry } from "../../../src/leads/mirror/index.js";
import { MocoClient } from "../../../src/moco/client.js";
import { RateLimiter } from "../../../src/moco/rate-limit.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { openStore } from "../../../src/store/index.js";
import type { LeadStore } from "../../../src/store/types.js";

/** A team server holds at most `maxLoaded` mirrors in memory, however many keys come by. */
let sandbox: Sandbox;
let store: LeadStore;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: "cap-key-0" });
  store = await openStore({ kind: "memory" });
});
afterAll(async () => {
  await store.close();
  await sandbox.close();
});

const client = (key: string) =>
  new MocoClient({
    baseUrl: sandbox.url,
    apiKey: key,
    userAgent: "test",
    requestTimeoutMs: 5000,
    budget: new RateLimiter({ limit: 1000, windowMs: 120_000 }),
  });

describe("the mirror registry", () => {
  it("keeps at most maxLoaded mirrors, letting the least recently used go", () => {
    const registry = new MirrorRegistry({ store, maxLoaded: 2 });
    const [a, b, c] = ["key-a-123", "key-b-123", "key-c-123"].map(client) as [
      MocoClient,
      MocoClient,
      MocoClient,
    ];
    const first = registry.forClient(a);
    registry.forClient(b);
    expect(registry.forClient(a)).toBe(first); // a is now the most recent
    registry.forClient(c); // b goes
    expect(registry.loaded).toBe(2);
    expect(registry.forClient(a)).toBe(first);
    const again = registry.forClient(b);
    expect(again.scope).toBe(b.scope);
    expect(registry.loaded).toBe(2);
  });

  it("gives each credential scope its own mirror", () => {
    const registry = new MirrorRegistry({ store });
    expect(registry.forClient(client("key-x-123")).scope).not.toBe(
      registry.forClient(client("key-y-123")).scope,
    );
  });
});
