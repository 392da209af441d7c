#!/usr/bin/env node
// The shipped build: esbuild bundles the server and its runtime dependencies into a few ESM files, so a
// cold start reads a handful of files instead of hundreds. `tsc` stays the type checker (npm run typecheck).
//
//   dist/index.js          the bin: checks the Node version, then loads dist/main.js
//   dist/main.js           the server (stdio path); loads the sandbox and the HTTP transport only on demand
//   dist/sandbox/index.js  startSandbox() (benchmarks, tests) and the lazily imported --sandbox chunk
//   dist/sandbox/cli.js    the runnable sandbox
//   dist/transports/http.js  the Streamable HTTP transport, imported only for --transport http
//   dist/chunks/*.js       code shared by those entry points (one copy of each module, one module state)
//   dist/app/pipeline.html the MCP App view (scripts/build-app.mjs), served as ui://moco-leads/pipeline.html
//
// Flags: --outdir DIR builds elsewhere (experiments); --analyze prints what each output is made of;
// --metafile FILE writes esbuild's metafile (for https://esbuild.github.io/analyze/).
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { buildApp } from "./build-app.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdirFlag = process.argv.indexOf("--outdir");
const outdir = outdirFlag > 0 ? resolve(process.argv[outdirFlag + 1]) : join(root, "dist");
const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
const analyze = process.argv.includes("--analyze");
const srcDir = join(root, "src");

/** Our own imports of "undici" get the slim entry (see scripts/undici-slim.mjs); its own lib/ files do not. */
const slimUndici = {
  name: "slim-undici",
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.startsWith(srcDir) ? { path: join(root, "scripts/undici-slim.mjs") } : undefined,
    );
  },
};

/**
 * `import { z } from "zod"` binds zod's namespace object as a value, which makes esbuild keep every zod
 * export (all ~40 locales: 290 KB of the bundle). The namespace import zod's docs use has the same
 * members and lets esbuild drop what is unused. Rewritten at build time so the source style is free.
 */
const zodNamespace = {
  name: "zod-namespace",
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      if (!args.path.startsWith(srcDir)) return undefined;
      const source = await readFile(args.path, "utf8");
      return {
        contents: source.replace(/^import \{ z \} from "zod";$/gm, 'import * as z from "zod";'),
        loader: "ts",
      };
    });
  },
};

/** The SDK server's default Ajv validator is never used (see scripts/ajv-stub.mjs); leave Ajv out. */
const noAjv = {
  name: "no-ajv",
  setup(build) {
    build.onResolve({ filter: /validation[\\/]ajv-provider\.js$/ }, (args) =>
      /@modelcontextprotocol[\\/]sdk[\\/].*[\\/]server[\\/]index\.js$/.test(args.importer)
        ? { path: join(root, "scripts/ajv-stub.mjs") }
        : undefined,
    );
  },
};

/** The SDK's zod 3 branches never run with our zod 4 schemas (see scripts/zod-v3-stub.mjs); leave zod 3 out. */
const noZod3 = {
  name: "no-zod3",
  setup(build) {
    build.onResolve({ filter: /^(zod\/v3|zod-to-json-schema)$/ }, (args) =>
      /@modelcontextprotocol[\\/]sdk[\\/].*[\\/]server[\\/]zod-(json-schema-)?compat\.js$/.test(args.importer)
        ? { path: join(root, "scripts/zod-v3-stub.mjs") }
        : undefined,
    );
  },
};

const result = await esbuild
  .build({
    absWorkingDir: root,
    entryPoints: {
      index: "src/bin.ts",
      main: "src/index.ts",
      "sandbox/index": "src/sandbox/index.ts",
      "sandbox/cli": "src/sandbox/cli.ts",
      "transports/http": "src/transports/http/index.ts",
    },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22.13",
    chunkNames: "chunks/[name]-[hash]",
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    sourcemap: false,
    metafile: true,
    // The bundle has no package.json beside it in every layout (an .mcpb, a copied dist/), so the
    // name and version are compiled in; src/version.ts falls back to reading package.json under tsx/vitest.
    define: { MOCO_LEADS_PACKAGE: JSON.stringify({ name: pkg.name, version: pkg.version }) },
    // Bundled CommonJS dependencies (undici, ajv) call require() for Node built-ins; give the ESM output
    // one. The bin's shebang comes from src/bin.ts (esbuild keeps it on the first line).
    banner: {
      js: [
        'import { createRequire as __mocoCreateRequire } from "node:module";',
        "const require = __mocoCreateRequire(import.meta.url);",
      ].join("\n"),
    },
    plugins: [slimUndici, zodNamespace, noAjv, noZod3],
    logLevel: "warning",
  })
  // esbuild has already printed the errors with their locations.
  .catch(() => process.exit(1));

// Remove what an older build (or tsc) left behind, only after the new files are in place, so that a
// test running at the same moment never finds dist/index.js missing.
const written = new Set(Object.keys(result.metafile.outputs).map((p) => join(root, p)));
async function prune(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await prune(path);
      if ((await readdir(path)).length === 0) await rm(path, { recursive: true });
    } else if (!written.has(path)) {
      await rm(path);
    }
  }
}
await prune(outdir);
// The pipeline view (one self-contained HTML file); after the prune, which keeps only what the server build wrote.
const app = await buildApp({ outdir });
written.add(app.path);

const metafileFlag = process.argv.indexOf("--metafile");
if (metafileFlag > 0) {
  await writeFile(resolve(process.argv[metafileFlag + 1]), JSON.stringify(result.metafile));
}
if (analyze) {
  console.log(await esbuild.analyzeMetafile(result.metafile));
}
let total = 0;
for (const path of written) total += (await stat(path)).size;
console.error(
  `build: ${written.size} files, ${(total / 1024).toFixed(0)} KB in ${relative(process.cwd(), outdir) || "."}/`,
);
