import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, resolveStoreSetting, scopeKey } from "../../src/store/index.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../../src/store/migrations.js";
import type { LeadStore } from "../../src/store/types.js";

const dirs: string[] = [];
const stores: LeadStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "store-test-"));
  dirs.push(dir);
  return dir;
}
async function open(path?: string): Promise<LeadStore> {
  const store = await openStore(path ? { kind: "file", path } : { kind: "memory" });
  stores.push(store);
  return store;
}
const lead = (id: number, name = `Lead ${id}`) => ({
  id,
  updatedAt: "2026-01-01T00:00:00Z",
  body: () => JSON.stringify({ id, name }),
});

describe("store location (MOCO_STORE)", () => {
  it("defaults to the platform's user data directory", () => {
    expect(resolveStoreSetting(undefined, { HOME: "/home/u" }, "linux")).toEqual({
      kind: "file",
      path: "/home/u/.local/share/moco-leads-mcp/store.sqlite",
    });
    expect(resolveStoreSetting("", { HOME: "/home/u", XDG_DATA_HOME: "/data" }, "linux")).toEqual({
      kind: "file",
      path: "/data/moco-leads-mcp/store.sqlite",
    });
    expect(resolveStoreSetting(undefined, { HOME: "/Users/u" }, "darwin")).toEqual({
      kind: "file",
      path: "/Users/u/Library/Application Support/moco-leads-mcp/store.sqlite",
    });
    const win = resolveStoreSetting(undefined, { LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "win32");
    expect(win.kind === "file" && win.path.startsWith("C:\\Users\\u\\AppData\\Local")).toBe(true);
  });

  it("memory, off and an explicit path", () => {
    expect(resolveStoreSetting("memory")).toEqual({ kind: "memory" });
    expect(resolveStoreSetting("OFF")).toEqual({ kind: "off" });
    expect(resolveStoreSetting("/tmp/x/leads.db")).toEqual({ kind: "file", path: "/tmp/x/leads.db" });
    expect(resolveStoreSetting("rel.db")).toEqual({ kind: "file", path: join(process.cwd(), "rel.db") });
  });
});

describe("sqlite store", () => {
  it("creates its directory 0700 and its file 0600", async () => {
    const path = join(tempDir(), "nested", "deeper", "store.sqlite");
    const store = await open(path);
    expect(store.available).toBe(true);
    await store.ensureScope("s", "https://x");
    expect(statSync(join(path, "..")).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(join(path, ".."))) {
      expect(statSync(join(path, "..", name)).mode & 0o777, name).toBe(0o600);
    }
  });

  it("memory keeps nothing on disk", async () => {
    const store = await open();
    expect(store.where).toBe("memory");
    expect((await store.describe()).sizeBytes).toBe(0);
  });

  it("applies the schema migrations once and records the version", async () => {
    const path = join(tempDir(), "s.sqlite");
    await (await open(path)).close();
    const again = await open(path);
    expect(again.available).toBe(true);
    expect((await again.describe()).schemaVersion).toBe(SCHEMA_VERSION);
    await again.close();
    const db = new DatabaseSync(path);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({
      value: String(SCHEMA_VERSION),
    });
    db.close();
  });

  it("upgrades a version 1 file to the current schema at open, keeping its rows", async () => {
    const path = join(tempDir(), "v1.sqlite");
    const db = new DatabaseSync(path);
    db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    for (const sql of MIGRATIONS.find((m) => m.version === 1)?.statements ?? []) db.exec(sql);
    db.exec("INSERT INTO meta VALUES ('schema_version', '1')");
    db.exec(
      "INSERT INTO scopes (scope, base_url, created_at) VALUES ('old', 'https://x', '2026-01-01T00:00:00.000Z')",
    );
    db.close();
    const store = await open(path);
    expect(store.available).toBe(true);
    expect((await store.getScope("old"))?.baseUrl).toBe("https://x");
    expect(await store.stagedScan("old")).toBeUndefined();
    expect((await store.describe()).schemaVersion).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThan(1);
  });

  it("upgrades a version 4 file with leads: no copy refreshes across its old versions by what changed", async () => {
    const path = join(tempDir(), "v4.sqlite");
    const db = new DatabaseSync(path);
    db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    for (const m of MIGRATIONS.filter((m) => m.version <= 4)) for (const sql of m.statements) db.exec(sql);
    db.exec("INSERT INTO meta VALUES ('schema_version', '4')");
    db.exec(
      "INSERT INTO scopes (scope, base_url, created_at, version) VALUES ('old', 'https://x', '2026-01-01T00:00:00.000Z', 3)",
    );
    db.exec(
      `INSERT INTO leads (scope, id, updated_at, body) VALUES ('old', 1, 'u', '{"id":1}'), ('old', 2, 'u', '{"id":2}')`,
    );
    db.close();
    const store = await open(path);
    expect(await store.getScope("old")).toMatchObject({ version: 3, refreshFloor: 3 });
    expect((await store.loadLeads("old")).map((l) => l.id)).toEqual([1, 2]);
    const row = await store.commit("old", {
      expectedVersion: 3,
      upserts: [{ id: 3, updatedAt: "u", body: () => '{"id":3}' }],
      deletes: [2],
      changes: [],
    });
    expect(row).toMatchObject({ version: 4, refreshFloor: 3 });
    expect((await store.writtenSince("old", 3)).map((l) => [l.id, l.written])).toEqual([[3, 4]]);
    expect(await store.removedSince("old", 3)).toEqual([2]);
  });

  it("refuses a store written by a newer schema (unavailable, not rewritten)", async () => {
    const path = join(tempDir(), "s.sqlite");
    await (await open(path)).close();
    const db = new DatabaseSync(path);
    db.exec("UPDATE meta SET value = '999' WHERE key = 'schema_version'");
    db.close();
    const store = await open(path);
    expect(store.available).toBe(false);
    expect(store.problem).toMatch(/newer/);
  });

  it("scope keys hold the base URL and a hash, never the key", () => {
    const key = "secret-api-key-123456";
    const scope = scopeKey("https://user:pw@acme.mocoapp.com/api/v1/", key);
    expect(scope).toMatch(/^https:\/\/acme\.mocoapp\.com\/api\/v1#[0-9a-f]{16}$/);
    expect(scope).not.toContain(key);
    expect(scopeKey("https://acme.mocoapp.com/api/v1", "other-key-000000")).not.toBe(scope);
  });

  it("describes itself: its path and the file's size", async () => {
    const path = join(tempDir(), "s.sqlite");
    const store = await open(path);
    const row = await store.ensureScope("a", "https://x");
    await store.commit("a", {
      expectedVersion: row.version,
      upserts: [lead(1), lead(2)],
      deletes: [],
      changes: [],
    });
    expect(store.where).toBe(path);
    const info = await store.describe();
    expect(info.where).toBe(path);
    expect(info.sizeBytes).toBeGreaterThan(0);
    expect(info.scopes.map((s) => [s.scope, s.leads])).toEqual([["a", 2]]);
  });
});
