import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_TOOLS } from "../../src/tools/index.js";
import { cleanEnv, connectStdio, filesUnder, ROOT, requireBuild, run } from "./support.js";

/**
 * The Claude Desktop extension as a user gets it: packed by `npm run pack:mcpb` (validated by the official
 * mcpb CLI), unpacked with `mcpb unpack`, and started exactly as its manifest says, with the manifest's
 * placeholders filled in the way Claude Desktop fills them. No node_modules: the bundle must stand alone.
 */
interface Manifest {
  version: string;
  tools: { name: string; description: string }[];
  server: { mcp_config: { command: string; args: string[]; env: Record<string, string> } };
}

describe("the .mcpb extension bundle", () => {
  let dir: string;
  let extracted: string;
  let manifest: Manifest;

  beforeAll(async () => {
    requireBuild();
    dir = await mkdtemp(join(tmpdir(), "moco-leads-mcpb-test-"));
    const file = join(dir, "moco-leads-mcp.mcpb");
    // --no-sync: never rewrite mcpb/manifest.json from a test (registry.test.ts reports drift).
    await run(process.execPath, ["scripts/pack-mcpb.mjs", "--skip-build", "--no-sync", "--out", file], {
      cwd: ROOT,
      env: cleanEnv(),
    });
    extracted = join(dir, "extracted");
    await run(join(ROOT, "node_modules/.bin/mcpb"), ["unpack", file, extracted], { cwd: dir });
    manifest = JSON.parse(await readFile(join(extracted, "manifest.json"), "utf8"));
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The manifest's launch command with ${__dirname} and ${user_config.*} substituted. */
  function launch(userConfig: Record<string, string | boolean>, extraArgs: string[] = []) {
    const fill = (value: string) =>
      value
        .replace(/\$\{__dirname\}/g, extracted)
        .replace(/\$\{user_config\.(\w+)\}/g, (_, key: string) => String(userConfig[key]));
    const { command, args, env } = manifest.server.mcp_config;
    expect(command).toBe("node");
    return connectStdio(process.execPath, [...args.map(fill), ...extraArgs], {
      PATH: process.env.PATH ?? "",
      ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, fill(v)])),
    });
  }

  it("holds the manifest, the bundle, package.json and the license: no sources, maps or node_modules", async () => {
    const files = await filesUnder(extracted);
    expect(files).toContain("manifest.json");
    expect(files).toContain("dist/index.js");
    expect(files).toContain("package.json");
    expect(files).toContain("LICENSE");
    const unexpected = files.filter(
      (f) =>
        !["manifest.json", "package.json", "LICENSE", "README.md"].includes(f) &&
        !/^dist\/.+\.js$/.test(f) &&
        f !== "dist/app/pipeline.html",
    );
    expect(unexpected).toEqual([]);
  });

  it("carries the package version and the registry's tools", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.tools).toEqual(ALL_TOOLS.map((t) => ({ name: t.name, description: t.description })));
  });

  it("starts from the manifest's config and lists every tool it declares", async () => {
    const { client } = await launch({ subdomain: "acme", api_key: "mcpb-test-key-1234", read_only: false });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(manifest.tools.map((t) => t.name));
    } finally {
      await client.close();
    }
  });

  it("honours the read-only switch", async () => {
    const { client } = await launch({ subdomain: "acme", api_key: "mcpb-test-key-1234", read_only: true });
    try {
      const { tools } = await client.listTools();
      const readOnly = ALL_TOOLS.filter((t) => t.annotations.readOnlyHint).map((t) => t.name);
      expect(tools.map((t) => t.name)).toEqual(readOnly);
    } finally {
      await client.close();
    }
  });

  it("calls a tool against the built-in sandbox (--sandbox added to the manifest's args)", async () => {
    const { client } = await launch({ subdomain: "acme", api_key: "mcpb-test-key-1234", read_only: false }, [
      "--sandbox",
    ]);
    try {
      const result = (await client.callTool({
        name: "list_leads",
        arguments: { per_page: 2 },
      })) as CallToolResult;
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      expect((result.structuredContent as { leads: unknown[] }).leads).toHaveLength(2);
    } finally {
      await client.close();
    }
  });
});
