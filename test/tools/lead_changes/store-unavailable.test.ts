import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../../src/errors.js";
import { leadChanges } from "../../../src/leads/changes.js";
import { leadsContext } from "../../../src/leads/context.js";
import { MirrorRegistry } from "../../../src/leads/mirror/index.js";
import { MocoClient } from "../../../src/moco/client.js";
import { RateLimiter } from "../../../src/moco/rate-limit.js";
import { startSandbox } from "../../../src/sandbox/index.js";
import { openStore, resolveStoreSetting } from "../../../src/store/index.js";
import type { LeadStore, StoreLocation } from "../../../src/store/types.js";

/**
 * MOCO_STORE names a PostgreSQL database nobody listens at: lead_changes says that store is unusable,
 * where it is (without the password) and why, and what to do: not that the store is off.
 */
type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
let sandbox: Sandbox;
let store: LeadStore;
let moco: MocoClient;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: "k-123456789" });
  // Nothing listens on port 1.
  store = await openStore(resolveStoreSetting("postgres://lead:s3cretpw@127.0.0.1:1/leads") as StoreLocation);
  moco = new MocoClient({
    baseUrl: sandbox.url,
    apiKey: "k-123456789",
    userAgent: "test",
    requestTimeoutMs: 5_000,
    budget: new RateLimiter({ limit: 100, windowMs: 120_000 }),
    maxRetries: 0,
  });
});
afterAll(async () => {
  await store.close();
  await moco.close();
  await sandbox.close();
});

describe("lead_changes with an unreachable PostgreSQL store", () => {
  it("names the PostgreSQL store, where it is and why it failed, without the password, and what to do", async () => {
    const registry = new MirrorRegistry({ store });
    const ctx = leadsContext({ moco, maxScanPages: 10, today: undefined, mirrors: async () => registry }, {});
    const error = await leadChanges({ since: "2020-01-01", limit: 10 }, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    registry.close();
    expect(error).toBeInstanceOf(InputError);
    const { message, hint: next } = error as InputError;
    expect(message).toMatch(
      /^The change history needs the lead store, and the lead store in PostgreSQL \(postgres:\/\/lead@127\.0\.0\.1:1\/leads[^)]*\) cannot be used \(connect ECONNREFUSED/,
    );
    expect(message).not.toContain("MOCO_STORE=off");
    expect(`${message} ${next}`).not.toContain("s3cretpw");
    expect(next).toMatch(/PostgreSQL: the database running and reachable.*uses it again within seconds/);
  });
});
