import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The layer table of docs/contributing.md, enforced: a room (a top-level folder or file of src/) may import
// only the rooms listed here, and only the packages listed. Data flows one way: transport → MCP face →
// tools → domain → MOCO client → HTTP, with the store beside the domain.
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

type Rule = { rooms: readonly string[]; packages?: readonly string[] };
const SDK = "@modelcontextprotocol/";
const RULES: Record<string, Rule> = {
  bin: { rooms: ["index", "store"] }, // the version gate, then the compile cache in the data directory
  index: {
    rooms: [
      "config",
      "help",
      "errors",
      "leads",
      "log",
      "mcp",
      "moco",
      "store",
      "tools",
      "transports",
      "web",
      "sandbox",
      "version",
      "text",
      "oauth",
      "webhooks",
    ],
  },
  "config-values": { rooms: [] },
  config: { rooms: ["config-values", "help", "log", "store", "web", "text", "oauth/location.ts"] },
  help: { rooms: [] },
  transports: {
    rooms: [
      "config",
      "errors",
      "leads",
      "log",
      "mcp",
      "moco",
      "oauth",
      "store",
      "text",
      "web",
      "version",
      "webhooks",
    ],
    packages: [SDK],
  },
  oauth: { rooms: ["log", "moco", "store", "text", "web", "version"], packages: [SDK, "express"] },
  mcp: {
    rooms: ["config", "errors", "leads", "log", "moco", "replies", "store", "text", "version"],
    packages: [SDK, "zod"],
  },
  tools: { rooms: ["errors", "leads", "moco", "replies", "text"], packages: ["zod"] },
  replies: { rooms: ["errors", "leads", "moco", "text"], packages: ["zod"] },
  leads: { rooms: ["errors", "log", "moco", "store", "text"] },
  store: { rooms: ["log", "moco"], packages: ["pg"] },
  moco: { rooms: ["log", "text"], packages: ["undici", "zod"] },
  errors: { rooms: ["log", "moco", "text"] },
  web: { rooms: [] },
  text: { rooms: [] },
  log: { rooms: [] },
  version: { rooms: [] },
  sandbox: { rooms: [] },
  webhooks: { rooms: ["leads", "moco", "log", "text", "web"] }, // MOCO's webhooks, applied to the lead mirror
  app: { rooms: ["leads/stages.ts"] }, // the one pure module the view shares: the order of stages
};
// A tool file takes the tool contract (defineTool, strictInput) from the MCP face; the MCP face imports
// no tool: the composition root (index.ts) selects the tools and hands them to createServer. So no
// import runs back up and no two rooms import each other.
const CONTRACT = "mcp/tool.ts";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? files(join(dir, e.name))
      : /\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}
const roomOf = (file: string) => relative(SRC, file).split("/")[0]?.replace(/\.ts$/, "") ?? "";
const SPEC = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(SPEC)].map((m) => (m[1] ?? m[2]) as string);
}

/** What is wrong with one file's imports: a file path inside src/ and its import specifiers. */
function wrongImports(file: string, specs: readonly string[]): string[] {
  const room = roomOf(file);
  const rule = RULES[room];
  const where = relative(SRC, file);
  if (!rule) return [`${where}: room "${room}" is not in the layer table`];
  const found: string[] = [];
  for (const spec of specs) {
    if (spec.startsWith("node:")) continue;
    if (spec.startsWith(".")) {
      const target = relative(SRC, resolve(dirname(file), spec).replace(/\.js$/, ".ts"));
      const to = target.split("/")[0]?.replace(/\.ts$/, "") ?? "";
      if (to === room || (target === CONTRACT && room === "tools")) continue;
      if (!rule.rooms.includes(to) && !rule.rooms.includes(target))
        found.push(`${where} imports ${target} (${room} → ${to})`);
    } else if (
      !(rule.packages ?? []).some((p) => spec === p || spec.startsWith(p.endsWith("/") ? p : `${p}/`))
    ) {
      found.push(`${where} imports the package ${spec}`);
    }
  }
  return found;
}

describe("the layer table (docs/contributing.md)", () => {
  it("every room of src/ imports only the rooms and packages its row allows", () => {
    const all = files(SRC);
    expect(all.length).toBeGreaterThan(50);
    expect(all.flatMap((file) => wrongImports(file, imports(file)))).toEqual([]);
  });

  it("refuses an import that runs back up, a package a room may not use, and a room not in the table", () => {
    const lead = join(SRC, "leads/example.ts");
    expect(
      wrongImports(lead, ["../tools/index.js", "zod", "@modelcontextprotocol/sdk/types.js", "./find.js"]),
    ).toEqual([
      "leads/example.ts imports tools/index.ts (leads → tools)",
      "leads/example.ts imports the package zod",
      "leads/example.ts imports the package @modelcontextprotocol/sdk/types.js",
    ]);
    expect(wrongImports(join(SRC, "moco/example.ts"), ["../mcp/server.js"])).toEqual([
      "moco/example.ts imports mcp/server.ts (moco → mcp)",
    ]);
    expect(wrongImports(join(SRC, "attic/example.ts"), [])).toEqual([
      'attic/example.ts: room "attic" is not in the layer table',
    ]);
  });

  it("lets a tool take the tool contract from the MCP face, and nothing else of it", () => {
    const tool = join(SRC, "tools/example.ts");
    expect(wrongImports(tool, ["../mcp/tool.js"])).toEqual([]);
    expect(wrongImports(tool, ["../mcp/server.js"])).toEqual([
      "tools/example.ts imports mcp/server.ts (tools → mcp)",
    ]);
  });
});
