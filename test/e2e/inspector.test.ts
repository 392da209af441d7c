import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/** A real, independent MCP client: the pinned MCP Inspector CLI, run once against the built server. */
const run = promisify(execFile);
// The Inspector's engines ask for Node 22 although its CLI runs on 20; our .npmrc is engine-strict.
const options = { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_engine_strict: "false" } };
const BIN = new URL("../../dist/index.js", import.meta.url).pathname;

describe("MCP Inspector CLI", () => {
  it("lists the tools and calls list_leads on the sandbox", { timeout: 180_000 }, async () => {
    const inspector = [
      "-y",
      "@modelcontextprotocol/inspector@2.12.0",
      "--cli",
      process.execPath,
      BIN,
      "--sandbox",
    ];
    const listed = await run("npx", [...inspector, "--method", "tools/list"], options);
    const names = (JSON.parse(listed.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(["list_leads", "get_lead", "create_lead", "update_lead", "delete_lead"]),
    );
    const called = await run(
      "npx",
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
