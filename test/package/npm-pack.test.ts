import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOOL_NAMES } from "../../src/tools/index.js";
import { cleanEnv, connectStdio, filesUnder, ROOT, requireBuild, run } from "./support.js";

/**
 * What `npm publish` would ship, and the `npx moco-leads-mcp` path: the packed tarball installed into an
 * empty folder runs from node_modules/.bin. Scripts are skipped (prepack would rebuild dist/ while other
 * test files read it); `npm test` has built it just before.
 */
const pack = async (args: string[]) =>
  run("npm", ["pack", "--ignore-scripts", "--json", ...args], { cwd: ROOT, env: cleanEnv() });

describe("npm package contents", () => {
  let files: string[];
  beforeAll(async () => {
    requireBuild();
    const { stdout } = await pack(["--dry-run"]);
    files = (JSON.parse(stdout)[0].files as { path: string }[]).map((f) => f.path).sort();
  }, 60_000);

  it("ships the bundle, the sandbox chunk, the app view, the docs and nothing else", () => {
    for (const path of [
      "package.json",
      "README.md",
      "LICENSE",
      "dist/index.js",
      "dist/sandbox/index.js",
      "dist/app/pipeline.html",
    ]) {
      expect(files).toContain(path);
    }
    expect(files.some((f) => /^dist\/chunks\/.+\.js$/.test(f))).toBe(true);
    const unexpected = files.filter(
      (f) =>
        !["package.json", "README.md", "LICENSE"].includes(f) &&
        !/^dist\/.+\.js$/.test(f) &&
        f !== "dist/app/pipeline.html",
    );
    expect(unexpected).toEqual([]);
  });

  it("has no tests, sources, source maps, bundles or benchmarks", () => {
    const bad = files.filter((f) =>
      /(^|\/)(test|src|bench|scripts|mcpb)\/|\.ts$|\.map$|\.mcpb$|\.tgz$|^server\.json$/.test(f),
    );
    expect(bad).toEqual([]);
  });
});

describe("the packed tarball installed into an empty folder", () => {
  let dir: string;
  let bin: string;
  beforeAll(async () => {
    requireBuild();
    dir = await mkdtemp(join(tmpdir(), "moco-leads-npx-"));
    const { stdout } = await pack(["--pack-destination", dir]);
    const tarball = join(dir, JSON.parse(stdout)[0].filename as string);
    const app = join(dir, "app");
    const install = (mode: string) =>
      run("npm", ["install", tarball, "--no-audit", "--no-fund", "--no-package-lock", mode], {
        cwd: app,
        env: cleanEnv(),
      });
    await run("mkdir", ["-p", app]);
    // As in a user's project (and npx's own cache folder). npm 11 cannot install a package without
    // dependencies into a folder that has no package.json ("Tracker idealTree already exists").
    await writeFile(join(app, "package.json"), '{ "name": "app", "private": true }\n');
    // The dependencies are in npm's cache after `npm ci`; go to the registry only for what is not.
    await install("--offline").catch(() => install("--prefer-offline"));
    bin = join(app, "node_modules/.bin/moco-leads-mcp");
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("adds exactly one package: the bundle carries its dependencies", async () => {
    const entries = (await readdir(join(dir, "app/node_modules"))).filter((e) => !e.startsWith("."));
    expect(entries).toEqual(["moco-leads-mcp"]);
  });

  it("installs only what the package ships", async () => {
    const installed = await filesUnder(join(dir, "app/node_modules/moco-leads-mcp"));
    expect(installed).toContain("dist/index.js");
    expect(installed.filter((f) => f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
  });

  it("runs from node_modules/.bin (the npx path) and serves its tools on the sandbox", async () => {
    const { client } = await connectStdio(bin, ["--sandbox"], { PATH: process.env.PATH ?? "" });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(TOOL_NAMES);
      const listed = (await client.callTool({
        name: "list_leads",
        arguments: { per_page: 2 },
      })) as CallToolResult;
      expect(listed.isError, JSON.stringify(listed.content)).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});
