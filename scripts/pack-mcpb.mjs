#!/usr/bin/env node
// `npm run pack:mcpb`: the Claude Desktop extension. Builds, then stages manifest + bundle in a temporary
// folder and packs it with the official CLI (`mcpb validate`, `mcpb pack`) into moco-leads-mcp.mcpb.
//
// The bundle inlines every runtime dependency, so the extension ships no node_modules. The manifest's
// `version` and `tools` are never typed by hand: they come from package.json and from `tools/list` of
// the server just built, so the packed manifest cannot drift from the code. mcpb/manifest.json (the
// reviewable copy) is updated to match; --no-sync leaves it alone (tests), --check fails if it differs (CI).
//
//   node scripts/pack-mcpb.mjs [--skip-build] [--out FILE] [--no-sync | --check]
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const { values: flags } = parseArgs({
  options: {
    "skip-build": { type: "boolean" },
    out: { type: "string" },
    "no-sync": { type: "boolean" },
    check: { type: "boolean" },
  },
});
const out = resolve(flags.out ?? join(root, "moco-leads-mcp.mcpb"));
const mcpb = join(root, "node_modules/.bin/mcpb");
const say = (line) => process.stderr.write(`pack:mcpb: ${line}\n`);

if (!flags["skip-build"]) {
  await run(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root });
}

/** name + description of every tool, as the built server lists them (sandbox mode: no account needed). */
async function listTools() {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(root, "dist/index.js"), "--sandbox"],
    env: { PATH: process.env.PATH ?? "", MOCO_LOG_LEVEL: "error" },
    stderr: "ignore",
  });
  const client = new Client({ name: "pack-mcpb", version: "1.0.0" });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    return tools.map((t) => ({ name: t.name, description: t.description ?? "" }));
  } finally {
    await client.close();
  }
}

const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
const manifestPath = join(root, "mcpb/manifest.json");
const committedText = await readFile(manifestPath, "utf8");
const manifest = { ...JSON.parse(committedText), version: pkg.version, tools: await listTools() };
const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
if (manifestText !== `${JSON.stringify(JSON.parse(committedText), null, 2)}\n`) {
  if (flags.check) {
    say("mcpb/manifest.json is out of date (version or tools); run `npm run pack:mcpb` and commit it");
    process.exit(1);
  }
  if (!flags["no-sync"]) {
    await writeFile(manifestPath, manifestText);
    say(`updated mcpb/manifest.json (version ${pkg.version}, ${manifest.tools.length} tools): commit it`);
  }
}

const stage = await mkdtemp(join(tmpdir(), "moco-leads-mcpb-"));
try {
  await writeFile(join(stage, "manifest.json"), manifestText);
  await cp(join(root, "dist"), join(stage, "dist"), { recursive: true });
  // Only for "type": "module" (the bundle is ESM in .js files) and for anyone who looks inside.
  const stagedPkg = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    type: "module",
    private: true,
  };
  await writeFile(join(stage, "package.json"), `${JSON.stringify(stagedPkg, null, 2)}\n`);
  for (const file of ["LICENSE", "README.md"]) await cp(join(root, file), join(stage, file));

  await run(mcpb, ["validate", join(stage, "manifest.json")], { cwd: stage });
  await mkdir(dirname(out), { recursive: true });
  await rm(out, { force: true });
  const { stdout } = await run(mcpb, ["pack", stage, out], { cwd: stage });
  const size = stdout.match(/package size:\s*(\S+)/i)?.[1];
  say(`wrote ${out}${size ? ` (${size})` : ""}, ${manifest.tools.length} tools, version ${pkg.version}`);
} catch (error) {
  const detail = [error.stdout, error.stderr].filter(Boolean).join("\n") || error.message;
  say(`failed:\n${detail}`);
  process.exitCode = 1;
} finally {
  await rm(stage, { recursive: true, force: true });
}
