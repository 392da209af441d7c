import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * A real, independent MCP client: the MCP Inspector CLI, pinned as a dev dependency (2.12.0), run
 * against the built server.
 */
const run = promisify(execFile);
const options = { maxBuffer: 16 * 1024 * 1024 };
const BIN = new URL("../../dist/index.js", import.meta.url).pathname;
const INSPECTOR = new URL("../../node_modules/@modelcontextprotocol/inspector/", import.meta.url).pathname;

describe("MCP Inspector CLI", () => {
  it("lists the tools and calls list_leads on the sandbox", { timeout: 180_000 }, async () => {
    const pkg = JSON.parse(readFileSync(`${INSPECTOR}package.json`, "utf8")) as {
      version: string;
      bin: Record<string, string>;
    };
    expect(pkg.version).toBe("2.12.0");
    const cli = `${INSPECTOR}${Object.values(pkg.bin)[0]}`;
    const inspector = [cli, "--cli", process.execPath, BIN, "--sandbox"];
    const listed = await run(process.execPath, [...inspector, "--method", "tools/list"], options);
    const names = (JSON.parse(listed.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(["list_leads", "get_lead", "create_lead", "update_lead", "delete_lead"]),
    );
    const called = await run(
      process.execPath,
      [...inspector, "--method", "tools/call", "--tool-name", "list_leads", "--tool-arg", "per_page=2"],
      options,
    );
    const result = JSON.parse(called.stdout) as {
      structuredContent: { leads: unknown[] };
      isError?: boolean;
    };
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent.leads).toHaveLength(2);
  });
});
