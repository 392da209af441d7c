import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** The OAuth module's own shape: imports run one way, files stay readable. */
const DIR = join(import.meta.dirname, "../../src/oauth");
const files = readdirSync(DIR).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));

function importsOf(file: string): string[] {
  const text = readFileSync(join(DIR, file), "utf8");
  return [...text.matchAll(/from\s+"\.\/([\w-]+)\.js"/g)].map((m) => `${m[1]}.ts`);
}

describe("src/oauth structure", () => {
  it("has no import cycle among its files (type-only imports included)", () => {
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      for (const next of graph.get(file) ?? []) {
        if (next === path[0]) cycles.push([...path, next].join(" → "));
        else if (!path.includes(next)) visit(next, [...path, next]);
      }
    };
    for (const file of files) visit(file, [file]);
    expect(cycles).toEqual([]);
  });

  it("keeps every file at 450 lines or fewer", () => {
    const long = files
      .map((f) => ({ f, lines: readFileSync(join(DIR, f), "utf8").split("\n").length }))
      .filter(({ lines }) => lines > 450);
    expect(long).toEqual([]);
  });
});
