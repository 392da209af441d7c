import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, requireBuild } from "./support.js";

/**
 * The built bin refuses a Node.js older than 22.13 with one line naming what it found and what it
 * needs. The old runtime is simulated by a preload that reports another version, so the test runs on
 * any machine; the machine's own Node, where it is a 20, is tried for real as well.
 */
const BIN = join(ROOT, "dist/index.js");

function runWith(version: string) {
  const dir = mkdtempSync(join(tmpdir(), "moco-leads-node-"));
  const preload = join(dir, "pretend.mjs");
  writeFileSync(
    preload,
    `Object.defineProperty(process.versions, "node", { value: ${JSON.stringify(version)} });\n`,
  );
  return spawnSync(process.execPath, ["--import", preload, BIN, "--sandbox"], {
    input: "",
    encoding: "utf8",
    timeout: 15_000,
  });
}

describe("the Node.js version gate", () => {
  beforeAll(() => requireBuild());

  it.each(["20.20.2", "22.12.0", "18.20.4"])("refuses Node %s with one line and exit 1", (version) => {
    const run = runWith(version);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `moco-leads-mcp: Node.js ${version} is too old; it needs Node.js 22.13 or newer (22 or 24 LTS).\n`,
    );
  });

  it("starts on the Node it runs under (22.13 or newer)", () => {
    const run = spawnSync(process.execPath, [BIN, "--help"], { encoding: "utf8", timeout: 15_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^moco-leads-mcp — an MCP server/);
  });

  const system = spawnSync("/usr/bin/node", ["--version"], { encoding: "utf8" });
  const old = system.status === 0 && /^v(1\d|20|21)\./.test(system.stdout);
  it.skipIf(!old)(`refuses the machine's own Node ${system.stdout?.trim() || "(none)"} for real`, () => {
    const run = spawnSync("/usr/bin/node", [BIN, "--sandbox"], {
      input: "",
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^moco-leads-mcp: Node\.js 2?\d\.\d+\.\d+ is too old; it needs Node\.js 22\.13 or newer/,
    );
  });
});
