import { readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { filesUnder, ROOT } from "./support.js";

/**
 * The bundle inlines whatever src/ imports, so an undeclared package builds and runs here and breaks
 * the next clean install. Every package src/ imports must be declared in package.json.
 */
const SPECIFIER = [
  /\b(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/g, // import x from "p", export * from "p"
  /\bimport\s*["']([^"']+)["']/g, // import "p"
  /\bimport\(\s*["']([^"']+)["']\s*\)/g, // import("p")
  /\brequire\(\s*["']([^"']+)["']\s*\)/g,
];
const BUILTIN = new Set(builtinModules);

/** "@scope/name/sub" → "@scope/name", "name/sub" → "name"; undefined for relative paths and builtins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:"))
    return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  return name === undefined || BUILTIN.has(name) ? undefined : name;
}

async function importsOfSrc(): Promise<Map<string, string[]>> {
  const byPackage = new Map<string, string[]>();
  const files = (await filesUnder(join(ROOT, "src"))).filter((f) => /\.(m|c)?[jt]sx?$/.test(f));
  expect(files.length).toBeGreaterThan(50);
  for (const file of files) {
    const source = await readFile(join(ROOT, "src", file), "utf8");
    for (const re of SPECIFIER) {
      for (const [, specifier] of source.matchAll(re)) {
        const name = specifier && packageOf(specifier);
        if (name) byPackage.set(name, [...(byPackage.get(name) ?? []), file]);
      }
    }
  }
  return byPackage;
}

describe("the packages src/ imports", () => {
  it("names a package from a specifier, leaving out relative paths and Node's builtins", () => {
    expect(packageOf("@modelcontextprotocol/sdk/server/mcp.js")).toBe("@modelcontextprotocol/sdk");
    expect(packageOf("zod/v4")).toBe("zod");
    expect(packageOf("undici")).toBe("undici");
    expect(packageOf("./text.js")).toBeUndefined();
    expect(packageOf("node:sqlite")).toBeUndefined();
    expect(packageOf("fs/promises")).toBeUndefined();
  });

  it("are each declared in package.json (dependencies or devDependencies)", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const declared = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.devDependencies ?? {}),
    ]);
    const imported = await importsOfSrc();
    expect([...imported.keys()]).toContain("zod");
    const undeclared = [...imported]
      .filter(([name]) => !declared.has(name))
      .map(([n, f]) => `${n} (${f.join(", ")})`);
    expect(undeclared).toEqual([]);
  });
});
