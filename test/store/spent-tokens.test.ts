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
 * Spending a confirm token through the store, in one server: a token whose write MOCO surely refused is
 * given back in the store too; a failure while recording the token refuses the write (nothing sent to
 * MOCO, never a silent success), and the store is out of use from then on, so the retry with the same
 * token is guarded by this process's own record, which still lets one call through.
 * (Two servers sharing a store: token-processes.test.ts.)
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
/**
 * `restore`: a store that comes back by itself (PostgreSQL) refuses every retry as unrecorded while it
 * is out, and records the retry once back; without, the failed store is left out and this process guards.
 */
async function deleteWhileStoreFails(
  store: LeadStore,
  fail: () => Promise<void>,
  restore?: () => Promise<void>,
) {
  expect(store.available, store.problem).toBe(true);
  const harness = await startHarness({ store });
  h = harness;
  const lead = harness.sandbox.store.deals.find((d) => d.status === "lost");
  if (!lead) throw new Error("the seed has no lost lead");
  const token = sc(await harness.call("delete_lead", { id: lead.id })).confirm_token as string;
  await fail();
  const refused = await harness.call("delete_lead", { id: lead.id, confirm_token: token });
  expect(errorOf(refused).fields).toEqual({ confirm_token: ["unrecorded"] });
  expect(text(refused)).toContain("could not record the confirm_token's use, so it was not used");
  expect(text(refused)).toContain(`Call delete_lead again with id ${lead.id} and the same confirm_token.`);
  expect(deletes(harness, lead.id)).toHaveLength(0);
  expect(store.available).toBe(false);
  if (restore) {
    // Still out: refused again, never guarded by this process alone (another instance may reach it).
    const meanwhile = await harness.call("delete_lead", { id: lead.id, confirm_token: token });
    expect(errorOf(meanwhile).fields).toEqual({ confirm_token: ["unrecorded"] });
    expect(deletes(harness, lead.id)).toHaveLength(0);
    await restore();
    await expect.poll(() => store.available, { timeout: 15_000, interval: 250 }).toBe(true);
  }
  const again = await harness.call("delete_lead", { id: lead.id, confirm_token: token });
  expect(again.isError, text(again)).toBeFalsy();
  expect(sc(again).deleted).toBe(true);
  const third = await harness.call("delete_lead", { id: lead.id, confirm_token: token });
  expect(third.isError).toBe(true);
  expect(deletes(harness, lead.id)).toHaveLength(1);
}

describe("a token given back when MOCO surely refused the write", () => {
  it("delete_lead: the retry with the same token deletes, the store having given it back", async () => {
    const harness = await startHarness({ store: await openStore({ kind: "memory" }) });
    h = harness;
    const lead = harness.sandbox.store.deals.find((d) => d.status === "lost");
    if (!lead) throw new Error("the seed has no lost lead");
    const token = sc(await harness.call("delete_lead", { id: lead.id })).confirm_token as string;
    harness.sandbox.faults.push({ kind: "status", status: 403, method: "DELETE", path: `/deals/${lead.id}` });
    expect(errorOf(await harness.call("delete_lead", { id: lead.id, confirm_token: token })).kind).toBe(
      "forbidden",
    );
    const again = await harness.call("delete_lead", { id: lead.id, confirm_token: token });
    expect(again.isError, text(again)).toBeFalsy();
    expect(deletes(harness, lead.id)).toHaveLength(2);
  });

  it("update_leads: a run that wrote nothing gives the token back, and the retry writes", async () => {
    const harness = await startHarness({ store: await openStore({ kind: "memory" }) });
    h = harness;
    const leads = harness.sandbox.store.deals.filter((d) => d.status === "pending").slice(0, 2);
    const args = { ids: leads.map((l) => l.id), changes: { reminder_date: "2031-06-06" } };
    const token = sc(await harness.call("update_leads", { ...args, dry_run: true })).confirm_token as string;
    harness.sandbox.faults.push({ kind: "status", status: 422, method: "PUT", path: "/deals/", times: 2 });
    const first = await harness.call("update_leads", { ...args, confirm_token: token });
    expect(sc(first).counts).toMatchObject({ changed: 0, failed: 2 });
    const again = await harness.call("update_leads", { ...args, confirm_token: token });
    expect(again.isError, text(again)).toBeFalsy();
    expect(sc(again).counts).toMatchObject({ changed: 2 });
  });
});

describe("delete_lead's confirm_token when the store fails while recording it", () => {
  it.skipIf(skip !== undefined)(
    "PostgreSQL gone: refused as unrecorded while it is out, no DELETE; once back, the retry with the same token deletes once",
    async () => {
      const target = new URL(storeUrl(schema));
      proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
      const through = new URL(target);
      through.hostname = "127.0.0.1";
      through.port = String(proxy.port);
      const store = await openStore(resolveStoreSetting(through.toString()) as StoreLocation);
      await deleteWhileStoreFails(
        store,
        async () => proxy?.cut(),
        async () => proxy?.restore(),
      );
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
