import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { ROOT, requireBuild } from "./support.js";

/**
 * The build reaches into three dependencies' internals (scripts/build.mjs). Each seam has a test that
 * fails when an upgrade moves what it relies on; the dependencies are pinned exactly for that reason.
 */
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};
const bundle = () =>
  readdirSync(join(ROOT, "dist/chunks"))
    .filter((f) => f.endsWith(".js") && !f.startsWith("oauth-"))
    .map((f) => readFileSync(join(ROOT, "dist/chunks", f), "utf8"))
    .join("\n");

describe("build seams", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    requireBuild();
    sandbox = await startSandbox({ apiKey: "seam-key-1234" });
  });
  afterAll(() => sandbox.close());

  it("undici (pinned 7.30.2): the slim entry built from its lib/ files still sends a request through an Agent", async () => {
    expect(pkg.devDependencies.undici).toBe("7.30.2");
    const slim = (await import(join(ROOT, "scripts/undici-slim.mjs"))) as typeof import("undici");
    const agent = new slim.Agent();
    try {
      const res = await slim.request(`${sandbox.url}/deals?per_page=1`, {
        headers: { authorization: "Token token=seam-key-1234" },
        dispatcher: agent,
      });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(await res.body.text())).toHaveLength(1);
    } finally {
      await agent.close();
    }
  });

  it("the MCP SDK (pinned 1.32.2) still imports the Ajv provider the build replaces, and no Ajv is bundled", () => {
    expect(pkg.devDependencies["@modelcontextprotocol/sdk"]).toBe("1.32.2");
    const server = readFileSync(
      join(ROOT, "node_modules/@modelcontextprotocol/sdk/dist/esm/server/index.js"),
      "utf8",
    );
    expect(server).toContain("from '../validation/ajv-provider.js'");
    expect(bundle()).not.toMatch(/ajv\/dist|new Ajv\(/);
  });

  it("the MCP SDK (pinned 1.32.2) imports zod 3 and zod-to-json-schema only where the build replaces them, and neither is bundled", () => {
    const sdk = (file: string) =>
      readFileSync(join(ROOT, "node_modules/@modelcontextprotocol/sdk/dist/esm/server", file), "utf8");
    expect(sdk("zod-compat.js")).toContain("from 'zod/v3'");
    expect(sdk("zod-json-schema-compat.js")).toContain("from 'zod-to-json-schema'");
    // "ZodEffects" is a zod 3 class (zod 4 has none); "refStrategy" is an option of zod-to-json-schema.
    expect(readFileSync(join(ROOT, "node_modules/zod/v3/types.js"), "utf8")).toContain("ZodEffects");
    expect(bundle()).not.toContain("ZodEffects");
    expect(bundle()).not.toContain("refStrategy");
  });

  it("the stand-in for zod 3 fails loudly if the SDK ever reaches it", async () => {
    const stub = (await import(join(ROOT, "scripts/zod-v3-stub.mjs"))) as Record<string, () => unknown>;
    expect(() => stub.object?.()).toThrow(/zod 3 is not bundled/);
    expect(() => stub.zodToJsonSchema?.()).toThrow(/zod 3 is not bundled/);
  });

  it("zod: the namespace rewrite still lets the bundle drop zod's ~40 locales", () => {
    // "Eingabe" stands in zod's German locale only; with the rewrite gone it comes back (424 KB more).
    expect(readFileSync(join(ROOT, "node_modules/zod/v4/locales/de.js"), "utf8")).toContain("Eingabe");
    expect(bundle()).not.toContain("Eingabe");
  });
});
