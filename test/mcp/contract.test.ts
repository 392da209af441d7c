import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOOL_NAMES } from "../../src/tools/index.js";
import { type Harness, startHarness } from "../support/harness.js";
import { snapshotNames, toolSnapshot, toolSnapshotFile } from "../support/tool-snapshots.js";

let h: Harness;
let tools: Tool[];
beforeAll(async () => {
  h = await startHarness();
  tools = (await h.client.listTools()).tools;
});
afterAll(() => h.close());

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  description?: string;
  pattern?: string;
};

describe("tools/list contract", () => {
  // Any change to what the model sees shows up in review, tool by tool (`-u` rewrites the files).
  it.for(TOOL_NAMES)("%s matches its committed snapshot, byte for byte", async (name) => {
    const tool = tools.find((t) => t.name === name);
    expect(tool, name).toBeDefined();
    await expect(toolSnapshot(tool)).toMatchFileSnapshot(toolSnapshotFile(name));
  });

  it("lists the tools in the committed order", () => {
    expect(tools.map((t) => t.name)).toMatchInlineSnapshot(`
      [
        "list_leads",
        "get_lead",
        "create_lead",
        "update_lead",
        "update_leads",
        "delete_lead",
        "get_lead_options",
        "add_lead_note",
        "pipeline_summary",
        "lead_changes",
      ]
    `);
  });

  it("keeps no snapshot of a tool it no longer lists", () => {
    const listed = tools.map((t) => t.name);
    expect(snapshotNames().filter((name) => !listed.includes(name))).toEqual([]);
  });

  it("keeps the whole tools/list reply within 20,000 bytes (it is paid in every conversation)", () => {
    const reply = { result: { tools }, jsonrpc: "2.0", id: 1 };
    const bytes = Buffer.byteLength(JSON.stringify(reply));
    console.error(`tools/list reply: ${bytes} bytes, ${tools.length} tools`);
    expect(bytes).toBeLessThanOrEqual(20_000);
  });

  it("keeps every tool within 4,500 bytes of that reply", () => {
    expect(tools.length).toBeGreaterThan(0);
    const over = tools
      .map((t) => ({ name: t.name, bytes: Buffer.byteLength(JSON.stringify(t)) }))
      .filter((t) => t.bytes > 4_500);
    expect(over).toEqual([]);
  });

  it("offers the five lead tools under their contract names", () => {
    const names = tools.map((t) => t.name);
    for (const name of ["list_leads", "get_lead", "create_lead", "update_lead", "delete_lead"]) {
      expect(names).toContain(name);
    }
  });

  it("sets all four annotations deliberately on every tool", () => {
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) {
      const a = tool.annotations ?? {};
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(typeof a[hint], `${tool.name}.${hint}`).toBe("boolean");
      }
      expect(a.openWorldHint, tool.name).toBe(true);
      if (a.readOnlyHint) expect(a.destructiveHint, tool.name).toBe(false);
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t.annotations ?? {}]));
    expect(byName.list_leads?.readOnlyHint).toBe(true);
    expect(byName.get_lead?.readOnlyHint).toBe(true);
    expect(byName.delete_lead?.destructiveHint).toBe(true);
    expect(byName.update_lead?.idempotentHint).toBe(true);
    expect(byName.delete_lead?.idempotentHint).toBe(true);
    expect(byName.create_lead?.idempotentHint).toBe(false);
  });

  it("gives every tool a title, a short description and an output schema", () => {
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description?.length ?? 0, tool.name).toBeGreaterThan(30);
      expect(tool.description?.length ?? 0, tool.name).toBeLessThanOrEqual(400);
      expect(tool.outputSchema, tool.name).toBeDefined();
    }
  });

  it("describes every input field, with an example where a format matters", () => {
    expect(tools.length).toBeGreaterThan(0);
    let formatted = 0;
    for (const tool of tools) {
      const props = (tool.inputSchema as JsonSchema).properties ?? {};
      for (const [field, schema] of Object.entries(props)) {
        expect(schema.description, `${tool.name}.${field}`).toBeTruthy();
        // A field with a format (a pattern, a date, a timestamp) shows one: an example or the format itself.
        if (schema.pattern !== undefined) {
          formatted++;
          expect(schema.description, `${tool.name}.${field}`).toMatch(/e\.g\.|YYYY|[A-Z]{3}\b/);
        }
      }
    }
    expect(formatted).toBeGreaterThan(0);
  });
});
