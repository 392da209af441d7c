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

const client = (key: string, baseUrl = sandbox.url) =>
  new MocoClient({
    baseUrl,
    apiKey: key,
    userAgent: "test",
    requestTimeoutMs: 5000,
    budget: new RateLimiter({ limit: 1000, windowMs: 120_000 }),
  });

describe("the mirror registry", () => {
  it("keeps at most maxLoaded mirrors, letting the least recently used go", () => {
    const registry = new MirrorRegistry({ store, maxLoaded: 2 });
    const [a, b, c] = ["key-a-123", "key-b-123", "key-c-123"].map((key) => client(key)) as [
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

  it("holds one sync share per MOCO account, and lets go those of accounts gone idle", () => {
    const registry = new MirrorRegistry({ store, maxLoaded: 2 });
    registry.forClient(client("key-a-123"));
    registry.forClient(client("key-b-123"));
    expect(registry.accountShares).toBe(1);
    // Ever new accounts (nothing sent, so their shares are idle): never more than the loaded ones.
    for (let i = 2; i < 12; i++) {
      registry.forClient(client(`key-${i}-123`, `http://127.0.0.${i}:9/api/v1`));
      expect(registry.accountShares).toBeLessThanOrEqual(2);
    }
    expect(registry.accountShares).toBe(2);
  });

  it("keeps the share of an account whose let-go mirror synced within the window", async () => {
    const registry = new MirrorRegistry({ store, maxLoaded: 1 });
    await registry.forClient(client("cap-key-0")).sync();
    registry.forClient(client("key-t-123", "http://127.0.0.2:9/api/v1")); // the syncing one goes
    registry.forClient(client("key-u-123", "http://127.0.0.3:9/api/v1"));
    // The sandbox's account still has requests in its window; the idle 127.0.0.2 went.
    expect(registry.accountShares).toBe(2);
  });
});
