import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openStore, resolveStoreSetting } from "../../src/store/index.js";
import type { LeadStore, StoreLocation } from "../../src/store/types.js";
import { errorOf, type Harness, sc, startHarness, text } from "../support/harness.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "./postgres-support.js";
import { startProxy, type TcpProxy } from "./tcp-proxy.js";

/**
 * Spending a confirm token when the store fails: a failure while recording the token refuses the write
 * (nothing sent to MOCO, never a silent success), and the store is out of use from then on, so the
 * retry with the same token is guarded by this process's own record, which still lets one call through.
 */
const skip = await skipReason();
const schema = randomSchema();
const dir = mkdtempSync(join(tmpdir(), "token-outage-"));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (skip === undefined) await dropSchema(schema);
});

let h: Harness | undefined;
let proxy: TcpProxy | undefined;
let holder: DatabaseSync | undefined;
beforeEach(() => {
  // The store's one warning when it fails.
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(async () => {
  holder?.close();
  holder = undefined;
  await h?.close();
  h = undefined;
  await proxy?.close();
  proxy = undefined;
  vi.restoreAllMocks();
});

const deletes = (harness: Harness, id: number) =>
  harness.sandbox.requests.filter((q) => q.method === "DELETE" && q.path === `/deals/${id}`);

/** Previews a delete, lets `fail` break the store, then confirms: refused, retried, refused again. */
async function deleteWhileStoreFails(store: LeadStore, fail: () => Promise<void>) {
  expect(store.available, store.problem).toBe(true);
  const harness = await startHarness({ store });
  h = harness;
  const lead = harness.sandbox.store.deals.find((d) => d.status === "lost");
  if (!lead) throw new Error("the seed has no lost lead");
  const token = sc(await harness.call("delete_lead", { id: lead.id })).confirm_token as string;
  await fail();
  const refused = await harness.call("delete_lead", { id: lead.id, confirm_token: token });
  expect(errorOf(refused).fields).toEqual({ confirm_token: ["unrecorded"] });
  expect(text(refused)).toContain("failed while recording the confirm_token's use, so it was not used");
  expect(text(refused)).toContain(`Call delete_lead again with id ${lead.id} and the same confirm_token.`);
  expect(deletes(harness, lead.id)).toHaveLength(0);
  expect(store.available).toBe(false);
  const again = await harness.call("delete_lead", { id: lead.id, confirm_token: token });
  expect(again.isError, text(again)).toBeFalsy();
  expect(sc(again).deleted).toBe(true);
  const third = await harness.call("delete_lead", { id: lead.id, confirm_token: token });
  expect(third.isError).toBe(true);
  expect(deletes(harness, lead.id)).toHaveLength(1);
}

describe("delete_lead's confirm_token when the store fails while recording it", () => {
  it.skipIf(skip !== undefined)(
    "PostgreSQL gone: refused as unrecorded, no DELETE; the retry with the same token deletes once",
    async () => {
      const target = new URL(storeUrl(schema));
      proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
      const through = new URL(target);
      through.hostname = "127.0.0.1";
      through.port = String(proxy.port);
      const store = await openStore(resolveStoreSetting(through.toString()) as StoreLocation);
      await deleteWhileStoreFails(store, async () => proxy?.cut());
    },
    30_000,
  );

  it("SQLite file whose write lock another connection holds past the busy timeout: refused as unrecorded, no DELETE; the retry deletes once", async () => {
    const path = join(dir, "locked.sqlite");
    const store = await openStore({ kind: "file", path });
    await deleteWhileStoreFails(store, async () => {
      holder = new DatabaseSync(path);
      holder.exec("BEGIN IMMEDIATE");
    });
  }, 30_000);
});

describe("confirm tokens when the store is out of use", () => {
  it("of two delete_lead calls with one token at once, this process still lets only the first delete", async () => {
    const store = await openStore({ kind: "memory" });
    await store.close();
    const harness = await startHarness({ store });
    h = harness;
    const lead = harness.sandbox.store.deals.find((d) => d.status === "dropped");
    if (!lead) throw new Error("the seed has no dropped lead");
    const token = sc(await harness.call("delete_lead", { id: lead.id })).confirm_token as string;
    const results = await Promise.all(
      [0, 1].map(() => harness.call("delete_lead", { id: lead.id, confirm_token: token })),
    );
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    const refused = results.find((r) => r.isError);
    expect(refused && errorOf(refused).fields).toEqual({ confirm_token: ["used"] });
    expect(deletes(harness, lead.id)).toHaveLength(1);
  });
});
