import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { resolveStoreSetting } from "../../src/store/location.js";

/**
 * MOCO_STORE names a file, "memory" or "off". A URL of a store this server does not serve is refused
 * at start with one line naming what it takes; taken as a path it made a folder "postgres:" in the
 * working directory.
 */
const BIN = new URL("../../dist/index.js", import.meta.url).pathname;

let dir: string | undefined;
afterEach(async () => {
  if (dir) {
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}-home`, { recursive: true, force: true });
  }
  dir = undefined;
});

function start(store: string, cwd: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [BIN], {
    cwd,
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      MOCO_API_KEY: "store-setting-key-1",
      MOCO_BASE_URL: "http://127.0.0.1:9/api/v1",
      MOCO_STORE: store,
      // Home (data and cache directories) elsewhere: only the working directory is watched.
      HOME: join(cwd, "..", `${basename(cwd)}-home`),
    },
  });
  child.stdin.end(); // a server that did start ends at once
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stderr, stdout })));
}

describe("MOCO_STORE with a URL the server does not serve", () => {
  it.each([
    ["mysql://leads:s3cret-pw@db.example:3306/leads", "mysql"],
    ["redis://localhost:6379/0", "redis"],
    ["https://example.com/store", "https"],
    ["sqlite:leads.db", "sqlite"],
  ])(
    "%s is refused at start: exit 1, one line naming the settings, no folder created",
    async (store, scheme) => {
      dir = await mkdtemp(join(tmpdir(), "moco-store-setting-"));
      const { code, stderr, stdout } = await start(store, dir);
      expect(code).toBe(1);
      expect(stdout).toBe("");
      const lines = stderr.split("\n").filter((l) => l.includes("MOCO_STORE"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`"${scheme}:" URLs are not served`);
      expect(lines[0]).toMatch(
        /a postgres:\/\/ or postgresql:\/\/ URL, a file path, a file:\/\/ URL, "memory" or "off"/,
      );
      expect(stderr).not.toContain("s3cret-pw");
      expect(await readdir(dir)).toEqual([]);
    },
  );
});

describe("MOCO_STORE values that stay paths", () => {
  it("a file:// URL is its path; a Windows drive letter is a path, not a scheme", () => {
    const path = join(tmpdir(), "leads", "store.sqlite");
    expect(resolveStoreSetting(pathToFileURL(path).href)).toEqual({ kind: "file", path });
    const problems: string[] = [];
    const drive = resolveStoreSetting("C:\\data\\store.sqlite", {}, "linux", problems);
    expect(problems).toEqual([]);
    expect(drive.kind).toBe("file");
  });

  it("without a problem list, a refused URL throws instead of becoming a path", () => {
    expect(() => resolveStoreSetting("mysql://h/db")).toThrow(/"mysql:" URLs are not served/);
  });
});
