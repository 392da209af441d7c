import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLogLevel } from "../../src/log.js";
import { StoreUnavailableError } from "../../src/store/index.js";
import { apiLeads, type MirrorEnv, startEnv } from "../support/mirror-helpers.js";

/** A store that cannot be used gives one warning and an unavailable mirror; nothing crashes. */
let env: MirrorEnv | undefined;
let dir = "";
let stderr: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "broken-store-"));
  stderr = [];
  setLogLevel("warn");
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  setLogLevel("error");
  await env?.close();
  env = undefined;
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

const warnings = () => stderr.filter((line) => line.includes("lead store"));

async function expectUnavailable(e: MirrorEnv): Promise<void> {
  expect(e.mirror.available).toBe(false);
  await expect(e.mirror.read()).rejects.toBeInstanceOf(StoreUnavailableError);
  await expect(e.mirror.read()).rejects.toBeInstanceOf(StoreUnavailableError);
  expect(await e.mirror.applyWrite(apiLeads(e.sandbox)[0] as never)).toBe(false);
  expect(warnings()).toHaveLength(1);
}

describe("broken store file", () => {
  it("garbage bytes: one warning, mirror unavailable", async () => {
    const path = join(dir, "store.sqlite");
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    env = await startEnv({ location: { kind: "file", path } });
    await expectUnavailable(env);
    expect(warnings()[0]).toMatch(/cannot be used \(file is not a database\).*live scans/);
  });

  it("a location that cannot be created (its parent is a file): one warning, mirror unavailable", async () => {
    writeFileSync(join(dir, "not-a-dir"), "x");
    env = await startEnv({ location: { kind: "file", path: join(dir, "not-a-dir", "store.sqlite") } });
    await expectUnavailable(env);
  });

  it.skipIf(process.getuid?.() === 0)("a read-only directory: one warning, mirror unavailable", async () => {
    const ro = join(dir, "ro");
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    env = await startEnv({ location: { kind: "file", path: join(ro, "store.sqlite") } });
    await expectUnavailable(env);
  });

  it("locked by another process at open: one warning, mirror unavailable", async () => {
    const path = join(dir, "store.sqlite");
    const other = new DatabaseSync(path);
    other.exec("PRAGMA journal_mode = DELETE; CREATE TABLE x (a); BEGIN EXCLUSIVE; INSERT INTO x VALUES (1)");
    try {
      env = await startEnv({ location: { kind: "file", path } });
      await expectUnavailable(env);
      expect(warnings()[0]).toMatch(/locked/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
  });

  it("locked while a sync commits: nothing half-written, one warning, reads refuse instead of serving memory", async () => {
    const path = join(dir, "store.sqlite");
    env = await startEnv({ location: { kind: "file", path } });
    const before = (await env.mirror.read()).leads;
    const [deal] = env.sandbox.store.deals;
    if (!deal) throw new Error("no lead");
    env.sandbox.store.updateDeal(deal, { name: "Changed while locked" });
    const other = new DatabaseSync(path);
    other.exec("BEGIN EXCLUSIVE");
    try {
      await expect(env.mirror.sync()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expectUnavailable(env);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    const check = new DatabaseSync(path);
    const bodies = (check.prepare("SELECT body FROM leads ORDER BY id").all() as { body: string }[]).map(
      (r) => JSON.parse(r.body),
    );
    check.close();
    expect(bodies).toEqual(before);
  });
});
