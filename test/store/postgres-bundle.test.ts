import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, ROOT, requireBuild, run } from "../package/support.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "./postgres-support.js";

/**
 * The shipped bundle carries `pg` (pure JavaScript) in a chunk of its own that only a postgres://
 * store setting imports; `pg-native` stays an optional runtime require that is never reached.
 */
const skip = await skipReason();

/** Every file a bundle entry loads before its first dynamic import(). */
function staticGraph(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, "utf8");
    seen.set(file, text);
    for (const m of text.matchAll(/(?:from|import)\s*"(\.[^"]+)"/g))
      walk(resolve(dirname(file), m[1] as string));
  };
  walk(join(ROOT, "dist", entry));
  return seen;
}
// A string only pg's protocol code holds.
const PG_MARKER = "SCRAM-SHA-256";

describe("pg in the bundle", () => {
  beforeAll(() => requireBuild());

  it("a start (bin and server) loads no pg; the PostgreSQL chunk is imported on demand and holds it", () => {
    for (const entry of ["index.js", "main.js"]) {
      const graph = staticGraph(entry);
      const withPg = [...graph]
        .filter(([, text]) => text.includes(PG_MARKER))
        .map(([f]) => relative(ROOT, f));
      expect(withPg, entry).toEqual([]);
    }
    const main = readFileSync(join(ROOT, "dist/main.js"), "utf8");
    expect(main).toMatch(/import\("\.\/chunks\/store-[\w-]+\.js"\)/);
    const store = staticGraph("main.js");
    const all = [...store.values()].join("\n");
    expect(all).not.toContain("pg-native");
  });

  describe.skipIf(skip !== undefined)("against the database", () => {
    const schema = randomSchema();
    afterAll(() => dropSchema(schema));

    it("the built `store` command opens a PostgreSQL store through the bundled driver", async () => {
      const env = cleanEnv({ MOCO_STORE: storeUrl(schema), MOCO_LOG_LEVEL: "error" });
      const { stdout } = await run(process.execPath, [join(ROOT, "dist/index.js"), "store"], { env });
      expect(stdout).toContain(`schema "${schema}"`);
      expect(stdout).toContain("Scopes (MOCO base URL");
    });
  });
});
