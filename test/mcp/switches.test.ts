import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ALL_TOOLS } from "../../src/tools/index.js";
import { type Harness, type HarnessOptions, startHarness, text } from "../support/harness.js";

const READ_TOOLS = ALL_TOOLS.filter((t) => t.annotations.readOnlyHint).map((t) => t.name);
const WRITE_TOOLS = ALL_TOOLS.filter((t) => !t.annotations.readOnlyHint).map((t) => t.name);

async function listed(options: HarnessOptions): Promise<{ names: string[]; h: Harness }> {
  const h = await startHarness(options);
  const { tools } = await h.client.listTools();
  return { names: tools.map((t) => t.name), h };
}

describe("safety switches, as a client sees them", () => {
  it("marks this issue's tools read-only or not, as they are", () => {
    expect(READ_TOOLS).toEqual(expect.arrayContaining(["get_lead_options", "get_lead", "list_leads"]));
    expect(WRITE_TOOLS).toEqual(
      expect.arrayContaining(["create_lead", "update_lead", "delete_lead", "add_lead_note"]),
    );
  });

  const readOnlyWays: [string, HarnessOptions][] = [
    ["--read-only", { argv: ["--read-only"] }],
    ["MOCO_READ_ONLY=true", { env: { MOCO_READ_ONLY: "true" } }],
  ];
  for (const [how, options] of readOnlyWays) {
    it(`${how} lists exactly the read-only tools, and a write tool cannot be called`, async () => {
      const { names, h } = await listed(options);
      try {
        expect(names.sort()).toEqual([...READ_TOOLS].sort());
        const from = h.sandbox.requests.length;
        const r = await h.call("add_lead_note", { id: 1, text: "x" });
        expect(r.isError).toBe(true);
        expect(text(r)).toMatch(/add_lead_note not found/);
        expect(h.sandbox.requests.length).toBe(from);
      } finally {
        await h.close();
      }
    });
  }

  it("an allow-list registers only the tools named", async () => {
    const { names, h } = await listed({ env: { MOCO_TOOLS: "get_lead_options, create_lead" } });
    await h.close();
    expect(names.sort()).toEqual(["create_lead", "get_lead_options"]);
  });

  it("read-only wins over an allow-list naming a write tool", async () => {
    const { names, h } = await listed({ argv: ["--read-only", "--tools", "get_lead,delete_lead"] });
    await h.close();
    expect(names).toEqual(["get_lead"]);
  });

  it("a deny-list removes the tools named", async () => {
    const { names, h } = await listed({ argv: ["--deny-tools", "delete_lead,add_lead_note"] });
    await h.close();
    expect(names.sort()).toEqual(
      ALL_TOOLS.map((t) => t.name)
        .filter((n) => n !== "delete_lead" && n !== "add_lead_note")
        .sort(),
    );
  });

  it("an unknown tool name stops the server at start-up, naming the known tools", () => {
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/index.ts", "--sandbox", "--tools", "get_lead,delete_leads"],
      { encoding: "utf8", timeout: 15_000, env: { ...process.env, MOCO_LOG_LEVEL: "error" } },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Unknown tool "delete_leads"/);
    expect(run.stderr).toMatch(/known tools: .*get_lead_options/);
    const denied = spawnSync(process.execPath, ["--import", "tsx", "src/index.ts", "--sandbox"], {
      encoding: "utf8",
      timeout: 15_000,
      env: { ...process.env, MOCO_DENY_TOOLS: "drop_table" },
      input: "",
    });
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/Unknown tool "drop_table"/);
  });
});
