import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LeadMirror } from "../../../src/leads/mirror/index.js";
import { MocoError } from "../../../src/moco/errors.js";
import type { Fault } from "../../../src/sandbox/index.js";
import { openStore } from "../../../src/store/index.js";
import { apiLeads, type MirrorEnv, startEnv } from "../../support/mirror-helpers.js";

/** An interrupted sync changes nothing; the next one completes (a full sync goes on where it stopped). */
let env: MirrorEnv | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await env?.close();
  env = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function storedLeads(e: MirrorEnv) {
  return (await e.store.loadLeads(e.mirror.scope)).map((r) => JSON.parse(r.body));
}

/** Edits another user makes, so that a delta has something to read. */
function editBehindTheBack(e: MirrorEnv): void {
  const { store } = e.sandbox;
  const [a, b] = store.deals;
  if (!a || !b) throw new Error("seed too small");
  store.updateDeal(a, { name: "Changed meanwhile" });
  store.deleteDeal(b);
}

describe("interrupted syncs", () => {
  it("a connection reset on page 3 of a first sync stores nothing; the next read resumes at page 3", async () => {
    env = await startEnv({ sandbox: { leads: 500 } });
    env.sandbox.faults.push({ kind: "reset", method: "GET", path: "/deals", query: "page=3" });
    await expect(env.mirror.read()).rejects.toBeInstanceOf(MocoError);
    expect(await storedLeads(env)).toEqual([]);
    expect(env.mirror.status().syncedAt).toBeNull();
    const read = await env.mirror.read();
    expect(read.leads).toEqual(apiLeads(env.sandbox));
    const pages = env.sandbox.requests.filter((r) => r.path === "/deals" && r.query.includes("per_page=100"));
    // 5 pages in all, page 3 asked twice (once reset), pages 1-2 never again.
    expect(pages.map((r) => new URLSearchParams(r.query).get("page"))).toEqual([
      "1",
      "2",
      "3",
      "3",
      "4",
      "5",
    ]);
  });

  for (const [name, fault, client] of [
    ["429", { kind: "rate_limit", method: "GET", path: "/deals", times: 5 }, {}],
    ["connection reset", { kind: "reset", method: "GET", path: "/deals" }, {}],
    ["timeout", { kind: "slow", method: "GET", path: "/deals", delayMs: 1500 }, { requestTimeoutMs: 200 }],
  ] as const) {
    it(`a ${name} during a delta keeps the previous mirror; the next sync completes`, async () => {
      env = await startEnv({ client });
      const before = (await env.mirror.read()).leads;
      const syncedAt = env.mirror.status().syncedAt;
      editBehindTheBack(env);
      env.sandbox.faults.push({ ...fault } as Fault);
      await expect(env.mirror.sync()).rejects.toBeInstanceOf(MocoError);
      expect(await storedLeads(env)).toEqual(before);
      expect(env.mirror.status().syncedAt).toBe(syncedAt);
      env.sandbox.faults.length = 0;
      const after = await env.mirror.read({ maxAgeMs: 0 });
      expect(after.leads).toEqual(apiLeads(env.sandbox));
      expect(after.sync).toMatchObject({ kind: "delta", updated: 1, deleted: 1 });
    });
  }

  it("a fault during the deletion search keeps the previous mirror", async () => {
    env = await startEnv({ sandbox: { leads: 800 } });
    const before = (await env.mirror.read()).leads;
    editBehindTheBack(env);
    env.sandbox.faults.push({
      kind: "status",
      status: 500,
      method: "GET",
      path: "/deals",
      query: /(^|&)ids=/,
    });
    await expect(env.mirror.sync()).rejects.toMatchObject({ status: 500 });
    expect(env.sandbox.faults).toEqual([]);
    expect(await storedLeads(env)).toEqual(before);
    expect((await env.mirror.read({ maxAgeMs: 0 })).leads).toEqual(apiLeads(env.sandbox));
  });

  it("the only caller aborting stops the sync and stores nothing; the next read completes", async () => {
    env = await startEnv({ sandbox: { leads: 300 } });
    env.sandbox.faults.push({ kind: "slow", method: "GET", path: "/deals", delayMs: 2000 });
    const controller = new AbortController();
    const read = env.mirror.read({ signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(read).rejects.toMatchObject({ kind: "cancelled" });
    expect(await storedLeads(env)).toEqual([]);
    env.sandbox.faults.length = 0;
    expect((await env.mirror.read()).leads).toEqual(apiLeads(env.sandbox));
  });

  it("a file store reopened after an interrupted sync holds the last committed state", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mirror-faults-"));
    dirs.push(dir);
    const path = join(dir, "store.sqlite");
    env = await startEnv({ location: { kind: "file", path } });
    const before = (await env.mirror.read()).leads;
    editBehindTheBack(env);
    env.sandbox.faults.push({ kind: "reset", method: "GET", path: "/deals", times: 3 });
    await expect(env.mirror.sync()).rejects.toBeInstanceOf(MocoError);
    await env.store.close();
    const reopened = await openStore({ kind: "file", path });
    const mirror = new LeadMirror({
      store: reopened,
      moco: env.moco,
    });
    const stale = await mirror.read({ maxAgeMs: Number.POSITIVE_INFINITY });
    expect(stale.leads).toEqual(before);
    expect(stale.sync).toBeUndefined();
    env.sandbox.faults.length = 0;
    expect((await mirror.read({ maxAgeMs: 0 })).leads).toEqual(apiLeads(env.sandbox));
    await reopened.close();
  });

  it("a first sync interrupted in one process is resumed by the next process from the page it reached", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mirror-faults-"));
    dirs.push(dir);
    const path = join(dir, "store.sqlite");
    env = await startEnv({ location: { kind: "file", path }, sandbox: { leads: 500 } });
    env.sandbox.faults.push({ kind: "reset", method: "GET", path: "/deals", query: "page=4" });
    await expect(env.mirror.read()).rejects.toBeInstanceOf(MocoError);
    await env.store.close(); // the process ends
    const reopened = await openStore({ kind: "file", path });
    const mirror = new LeadMirror({
      store: reopened,
      moco: env.moco,
    });
    expect(await reopened.loadLeads(mirror.scope)).toEqual([]);
    const read = await mirror.read();
    expect(read.leads).toEqual(apiLeads(env.sandbox));
    const pages = env.sandbox.requests.filter((r) => r.path === "/deals" && r.query.includes("per_page=100"));
    expect(pages.map((r) => new URLSearchParams(r.query).get("page"))).toEqual([
      "1",
      "2",
      "3",
      "4",
      "4",
      "5",
    ]);
    expect(await reopened.stagedScan(mirror.scope)).toBeUndefined();
    await reopened.close();
  });
});
