import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { Tool } from "../../src/mcp/tool.js";
import { ALL_TOOLS } from "../../src/tools/index.js";

/** src/tools/ holds one file per tool and the registry, and the registry lists every one of them. */
const DIR = new URL("../../src/tools/", import.meta.url);

describe("the tool registry", () => {
  it("has one file per registered tool in src/tools, named after it, and nothing else", async () => {
    const files = (await readdir(DIR)).filter((f) => f !== "index.ts").sort();
    expect(files.length).toBeGreaterThan(0);
    expect(files).toEqual(ALL_TOOLS.map((t) => `${t.name.replaceAll("_", "-")}.ts`).sort());
  });

  it("each tool file exports exactly its own tool, the one the registry holds", async () => {
    expect(ALL_TOOLS.length).toBeGreaterThan(0);
    for (const tool of ALL_TOOLS) {
      const module = (await import(new URL(`${tool.name.replaceAll("_", "-")}.ts`, DIR).href)) as Record<
        string,
        unknown
      >;
      const exported = Object.values(module);
      expect(exported, tool.name).toHaveLength(1);
      expect((exported[0] as Tool).name).toBe(tool.name);
      expect(exported[0]).toBe(tool);
    }
  });
});
