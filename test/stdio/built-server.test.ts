import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";

/**
 * The built binary, spawned the way Claude Desktop runs it: a child process speaking MCP over
 * stdin/stdout, configured by environment variables.
 */
const BIN = new URL("../../dist/index.js", import.meta.url).pathname;
const KEY = "e2e-secret-9d8c7b6a5f4e3d2c";

async function spawnServer(args: string[], env: Record<string, string>) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, ...args],
    // A lead mirror in memory: a test never writes into the user's data directory.
    env: { PATH: process.env.PATH ?? "", MOCO_STORE: "memory", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe("built server over stdio against a sandbox over TCP", () => {
  let sandbox: Sandbox;
  let server: Awaited<ReturnType<typeof spawnServer>>;
  const outputs: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ apiKey: KEY });
    server = await spawnServer([], { MOCO_API_KEY: KEY, MOCO_BASE_URL: sandbox.url });
  });
  afterAll(async () => {
    await server.client.close();
    await sandbox.close();
  });

  const call = async (name: string, args: Record<string, unknown>) => {
    const result = (await server.client.callTool({ name, arguments: args })) as CallToolResult;
    outputs.push(JSON.stringify(result));
    return result;
  };

  it("calls every tool it lists, each successfully", async () => {
    const { tools } = await server.client.listTools();
    const user = sandbox.store.users[0]?.id;
    const category = sandbox.store.categories[0]?.id;
    const someLead = sandbox.store.deals[0]?.id;
    const created: { id?: number } = {};
    const argsFor: Record<string, () => Record<string, unknown>> = {
      list_leads: () => ({ per_page: 3 }),
      get_lead: () => ({ id: someLead, include_notes: true }),
      create_lead: () => ({
        name: "E2E lead",
        currency: "CHF",
        money: 1200,
        reminder_date: "2026-12-24",
        user_id: user,
        deal_category_id: category,
      }),
      update_lead: () => ({ id: created.id, status: "won", user: "me" }),
      update_leads: () => ({ ids: [created.id], changes: { reminder_date: "2026-12-31" } }),
      lead_changes: () => ({ since: "2026-01-01" }),
      get_lead_options: () => ({}),
      add_lead_note: () => ({ id: created.id, text: "E2E note: called, wants an offer" }),
      pipeline_summary: () => ({ group_by: "month", month_basis: "service_period" }),
      delete_lead: () => ({ id: created.id }),
    };
    const order = [
      "list_leads",
      "get_lead",
      "get_lead_options",
      "pipeline_summary",
      "create_lead",
      "update_lead",
      "update_leads",
      "lead_changes",
      "add_lead_note",
      "delete_lead",
    ];
    const names = tools.map((t) => t.name).sort((a, b) => order.indexOf(a) - order.indexOf(b));
    for (const name of names) {
      const args = argsFor[name];
      expect(args, `no end-to-end arguments for ${name}`).toBeDefined();
      const result = await call(name, args?.() ?? {});
      expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
      if (name === "create_lead") created.id = (result.structuredContent as { lead: { id: number } }).lead.id;
    }
    expect(created.id).toBeGreaterThan(0);
    // Claude Desktop-like clients cannot elicit: the delete above was a preview; its token deletes.
    const preview = await call("delete_lead", { id: created.id });
    const token = (preview.structuredContent as { confirm_token?: string }).confirm_token;
    expect(sandbox.store.deals.some((d) => d.id === created.id)).toBe(true);
    const deleted = await call("delete_lead", { id: created.id, confirm_token: token });
    expect((deleted.structuredContent as { deleted: boolean }).deleted).toBe(true);
    expect(sandbox.store.deals.some((d) => d.id === created.id)).toBe(false);
  });

  it("refuses invalid input without sending anything to MOCO", async () => {
    const before = sandbox.requests.length;
    const result = await call("create_lead", { name: "X", currency: "euro", money: -1 });
    expect(result.isError).toBe(true);
    expect(sandbox.requests.length).toBe(before);
  });

  it("never shows the API key in results or on stderr", async () => {
    // Its own calls, whatever ran before: a success, a MOCO 404 and a refused argument.
    await call("list_leads", { per_page: 2 });
    await call("get_lead", { id: 987_654_321 });
    await call("get_lead", { id: "x" });
    expect(outputs.length).toBeGreaterThanOrEqual(3);
    for (const output of outputs) expect(output).not.toContain(KEY);
    expect(server.stderr()).not.toContain(KEY);
  });
});

describe("start-up", () => {
  const run = promisify(execFile);

  it("fails with one readable message and exit code 1 when configuration is missing", async () => {
    const failure = await run(process.execPath, [BIN], { env: { PATH: process.env.PATH ?? "" } }).catch(
      (e) => e,
    );
    expect(failure.code).toBe(1);
    expect(failure.stdout).toBe("");
    expect(failure.stderr).toMatch(/MOCO_API_KEY is missing/);
    expect(failure.stderr).toMatch(/MOCO_SUBDOMAIN is missing/);
    expect(failure.stderr).not.toMatch(/\n\s+at /);
  });

  it("runs on the built-in sandbox with no account and says so", async () => {
    const server = await spawnServer(["--sandbox"], {});
    const result = (await server.client.callTool({
      name: "list_leads",
      arguments: { per_page: 2 },
    })) as CallToolResult;
    await server.client.close();
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toMatch(/Sandbox/);
    expect(server.stderr()).toMatch(/Sandbox/);
  });
});
