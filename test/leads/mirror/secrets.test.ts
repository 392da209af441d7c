import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { setLogLevel } from "../../../src/log.js";
import { createLead, deleteLead } from "../../../src/moco/leads.js";
import { MIRROR_KEY, type MirrorEnv, startEnv } from "../../support/mirror-helpers.js";

/** The API key reaches no table, no file name and no log line of the store. */
let env: MirrorEnv | undefined;
const dirs: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  setLogLevel("error");
  await env?.close();
  env = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function captureStderr(): string[] {
  const lines: string[] = [];
  setLogLevel("debug");
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
}

describe("secret hygiene of the store", () => {
  it("after syncs, own writes, a failed sync and a history query, no store file or file name holds the key", async () => {
    const stderr = captureStderr();
    const dir = mkdtempSync(join(tmpdir(), "mirror-secrets-"));
    dirs.push(dir);
    const path = join(dir, "store.sqlite");
    env = await startEnv({ location: { kind: "file", path }, sandbox: { leads: 400 } });
    await env.mirror.read();
    const { store } = env.sandbox;
    const lead = await createLead(env.moco, {
      name: "Secret check",
      currency: "CHF",
      money: 1,
      reminder_date: store.today,
      user_id: store.profileUserId,
      deal_category_id: store.categories[0]?.id,
    });
    await env.mirror.applyWrite(lead);
    await deleteLead(env.moco, lead.id);
    await env.mirror.applyDelete(lead.id);
    store.deleteDeal(store.deals[3] as never);
    env.sandbox.faults.push({ kind: "status", status: 401, path: "/deals" });
    await expect(env.mirror.sync()).rejects.toThrow();
    await env.mirror.sync();
    await env.mirror.changes({ since: "2000-01-01" });
    await env.mirror.stateAt(new Date().toISOString());
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      expect(name).not.toContain(MIRROR_KEY);
      const bytes = readFileSync(join(dir, name));
      expect(bytes.includes(Buffer.from(MIRROR_KEY)), name).toBe(false);
      expect(bytes.includes(Buffer.from(MIRROR_KEY, "utf16le")), name).toBe(false);
    }
    // The store did hold the synced leads and their history (the check read real content).
    const main = readFileSync(path);
    const wal = files.includes("store.sqlite-wal") ? readFileSync(`${path}-wal`) : Buffer.alloc(0);
    expect(Buffer.concat([main, wal]).includes(Buffer.from("Secret check"))).toBe(true);
    expect(stderr.join("")).not.toContain(MIRROR_KEY);
  });

  it("the broken-store warning holds no key", async () => {
    const stderr = captureStderr();
    const dir = mkdtempSync(join(tmpdir(), "mirror-secrets-"));
    dirs.push(dir);
    const path = join(dir, "store.sqlite");
    writeFileSync(path, "garbage, not a database, garbage, not a database");
    env = await startEnv({ location: { kind: "file", path } });
    await expect(env.mirror.read()).rejects.toThrow();
    const text = stderr.join("");
    expect(text).toMatch(/lead store/);
    expect(text).not.toContain(MIRROR_KEY);
  });
});
