import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cacheDir } from "../../src/store/location.js";
import { ROOT, requireBuild } from "./support.js";

/**
 * The bin keeps V8's compiled code between starts (src/bin.ts), in the user's cache directory: a
 * start after the first skips compiling the bundle. Each test starts the built bin as a host does,
 * with a cache directory of its own, and waits for its answer to `initialize`.
 */
const BIN = join(ROOT, "dist/index.js");
const KEY = "cache-test-key-5f1c2e";
const INITIALIZE = `${JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
})}\n`;

type Child = ReturnType<typeof spawn>;

/** A host quitting: 300 ms after the initialize answer, stdin ends. */
const quit = (child: Child) => setTimeout(() => child.stdin?.end(), 300);

/** Starts the bin, waits for the initialize answer, then hands the child to `then` (default: quit). */
function startOnce(env: Record<string, string>, then: (child: Child) => void = quit): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN], {
      env: {
        PATH: process.env.PATH ?? "",
        MOCO_API_KEY: KEY,
        MOCO_BASE_URL: "http://127.0.0.1:9/api/v1",
        MOCO_STORE: "memory",
        ...env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"id":1')) then(child);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", () => {
      clearTimeout(timer);
      out.includes('"protocolVersion"') ? resolve(out) : reject(new Error(`no initialize answer: ${err}`));
    });
    child.stdin.write(INITIALIZE);
  });
}

/** Every cache file under dir (Node keeps one folder per Node version and build). */
const cacheFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name))
    : [];

describe("V8's compile cache", () => {
  beforeAll(() => requireBuild());

  it("a start writes the compiled bundle to the user's cache directory, and it holds no API key", async () => {
    const home = mkdtempSync(join(tmpdir(), "moco-leads-cache-"));
    await startOnce({ HOME: home, XDG_CACHE_HOME: join(home, "cache") });
    const files = cacheFiles(join(home, "cache", "moco-leads-mcp", "compile-cache"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(readFileSync(file).includes(KEY)).toBe(false);
    // XDG_CACHE_HOME wins over ~/.cache.
    expect(cacheFiles(join(home, ".cache"))).toEqual([]);
  });

  it("is written even when the host kills the server right after initialize", async () => {
    const home = mkdtempSync(join(tmpdir(), "moco-leads-cache-"));
    const dir = join(home, "moco-leads-mcp", "compile-cache");
    // Killed as soon as the cache is on disk, or after 5 s: the flush must not wait for a clean exit.
    await startOnce({ HOME: home, XDG_CACHE_HOME: home }, (child) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (cacheFiles(dir).length > 0 || Date.now() - started > 5_000) {
          clearInterval(poll);
          child.kill("SIGKILL");
        }
      }, 20);
    });
    expect(cacheFiles(dir).length).toBeGreaterThan(0);
  });

  it("NODE_DISABLE_COMPILE_CACHE=1 keeps nothing; NODE_COMPILE_CACHE chooses the directory", async () => {
    const off = mkdtempSync(join(tmpdir(), "moco-leads-cache-"));
    await startOnce({ HOME: off, XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: "1" });
    expect(cacheFiles(off)).toEqual([]);

    const home = mkdtempSync(join(tmpdir(), "moco-leads-cache-"));
    const chosen = join(home, "chosen");
    await startOnce({ HOME: home, XDG_CACHE_HOME: join(home, "xdg"), NODE_COMPILE_CACHE: chosen });
    expect(cacheFiles(chosen).length).toBeGreaterThan(0);
    expect(cacheFiles(join(home, "xdg"))).toEqual([]);
  });

  it("a cache directory that cannot be created does not stop the server", async () => {
    const home = mkdtempSync(join(tmpdir(), "moco-leads-cache-"));
    // A file where the directory would go.
    const blocked = join(home, "file");
    writeFileSync(blocked, "x");
    await expect(startOnce({ HOME: home, XDG_CACHE_HOME: blocked })).resolves.toContain('"protocolVersion"');
  });

  it("the cache directory follows each platform's convention", () => {
    expect(cacheDir({ HOME: "/home/u" }, "linux")).toBe("/home/u/.cache");
    expect(cacheDir({ HOME: "/home/u", XDG_CACHE_HOME: "/c" }, "linux")).toBe("/c");
    // The XDG spec ignores a relative path.
    expect(cacheDir({ HOME: "/home/u", XDG_CACHE_HOME: "rel" }, "linux")).toBe("/home/u/.cache");
    expect(cacheDir({ HOME: "/Users/u" }, "darwin")).toBe("/Users/u/Library/Caches");
    expect(cacheDir({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "win32")).toBe(
      "C:\\Users\\u\\AppData\\Local",
    );
  });
});
