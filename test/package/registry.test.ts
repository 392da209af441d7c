import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { HELP } from "../../src/help.js";
import { ALL_TOOLS, TOOL_NAMES } from "../../src/tools/index.js";
import { ROOT } from "./support.js";

/**
 * The three descriptions of this server that live outside the code: package.json (npm), server.json
 * (the MCP registry) and mcpb/manifest.json (the Claude Desktop extension). They must agree with the
 * package and with what the server really reads and offers.
 */
const json = (file: string) => JSON.parse(readFileSync(join(ROOT, file), "utf8"));
const pkg = json("package.json");
const server = json("server.json");
const manifest = json("mcpb/manifest.json");

/** Every environment variable the server documents in --help (flags say "(env NAME)"). */
const documented = new Set(HELP.match(/\b(?:MOCO|MCP)_[A-Z_]+\b/g));

/** The variables the server refuses to start without, read from its own configuration errors. */
function requiredEnv(): string[] {
  try {
    loadConfig([], {}, TOOL_NAMES);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.flatMap((p) => p.match(/^([A-Z_]+) is missing/)?.[1] ?? []).sort();
  }
  throw new Error("loadConfig accepted an empty environment");
}

/** A manifest placeholder, e.g. ${__dirname}, which Claude Desktop substitutes at launch. */
const placeholder = (name: string) => `\${${name}}`;

const minNode = (range: string) => {
  const m = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : range;
};

describe("server.json (MCP registry)", () => {
  const npm = server.packages?.find((p: { registryType: string }) => p.registryType === "npm");
  const envVars: { name: string; isRequired?: boolean; isSecret?: boolean }[] =
    npm?.environmentVariables ?? [];

  it("uses the current schema and names the package's mcpName", () => {
    expect(server.$schema).toBe(
      "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
    );
    expect(server.name).toMatch(/^io\.github\.[a-zA-Z0-9-]+\/[a-zA-Z0-9._-]+$/);
    expect(server.name).toBe(pkg.mcpName);
    expect(server.description.length).toBeGreaterThan(0);
    expect(server.description.length).toBeLessThanOrEqual(100);
  });

  it("points at this npm package and version, over stdio", () => {
    expect(server.version).toBe(pkg.version);
    expect(npm).toMatchObject({
      registryType: "npm",
      identifier: pkg.name,
      version: pkg.version,
      transport: { type: "stdio" },
    });
  });

  it("lists only variables the server reads, and every one it requires", () => {
    for (const v of envVars) expect(documented, `${v.name} is not in --help`).toContain(v.name);
    const required = envVars.filter((v) => v.isRequired).map((v) => v.name);
    expect(required.sort()).toEqual(requiredEnv());
    expect(requiredEnv()).toEqual(["MOCO_API_KEY", "MOCO_SUBDOMAIN"]);
    expect(envVars.find((v) => v.name === "MOCO_API_KEY")?.isSecret).toBe(true);
    expect(envVars.filter((v) => v.isSecret).map((v) => v.name)).toEqual(["MOCO_API_KEY"]);
    for (const v of envVars) expect(v, v.name).toHaveProperty("description");
  });
});

describe("mcpb/manifest.json (Claude Desktop extension)", () => {
  const config = manifest.server.mcp_config;

  it("has the package's name, version and runtime range", () => {
    expect(manifest.name).toBe(pkg.name);
    expect(manifest.version, "run `npm run pack:mcpb` to update the manifest").toBe(pkg.version);
    expect(manifest.license).toBe(pkg.license);
    expect(minNode(manifest.compatibility.runtimes.node)).toEqual(minNode(pkg.engines.node));
  });

  it("lists exactly the tools of the registry, with their descriptions", () => {
    expect(manifest.tools, "run `npm run pack:mcpb` to update the manifest").toEqual(
      ALL_TOOLS.map((t) => ({ name: t.name, description: t.description })),
    );
  });

  it("starts the bundled entry point with node", () => {
    expect(manifest.server).toMatchObject({ type: "node", entry_point: "dist/index.js" });
    expect(config.command).toBe("node");
    expect(config.args).toEqual([`${placeholder("__dirname")}/dist/index.js`]);
    expect(pkg.bin[pkg.name]).toBe(manifest.server.entry_point);
  });

  it("maps user_config to the variables the server requires; the API key is a secret", () => {
    const env: Record<string, string> = config.env;
    for (const name of Object.keys(env)) expect(documented, `${name} is not in --help`).toContain(name);
    for (const name of requiredEnv()) expect(Object.keys(env)).toContain(name);
    const referenced = Object.values(env).flatMap((v) =>
      [...v.matchAll(/\$\{user_config\.(\w+)\}/g)].map((m) => m[1]),
    );
    expect(referenced.sort()).toEqual(Object.keys(manifest.user_config).sort());
    expect(env.MOCO_API_KEY).toBe(placeholder("user_config.api_key"));
    expect(manifest.user_config.api_key).toMatchObject({ type: "string", required: true, sensitive: true });
    expect(manifest.user_config.subdomain).toMatchObject({ type: "string", required: true });
    expect(manifest.user_config.read_only).toMatchObject({ type: "boolean", default: false });
    expect(env.MOCO_READ_ONLY).toBe(placeholder("user_config.read_only"));
  });
});
