#!/usr/bin/env node
// Builds the pipeline MCP App's view (src/app/view/) into ONE self-contained HTML file: the script and
// the styles inline, nothing loaded from anywhere, because a host's default CSP for an app allows no
// network and no other origin. The server reads it at run time (src/mcp/pipeline-app.ts).
//
//   node scripts/build-app.mjs [--outdir DIR]   writes DIR/app/pipeline.html (default dist/)
//   import { buildApp } from "./build-app.mjs"; await buildApp({ outdir })   → { path, bytes }
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const viewDir = join(root, "src/app/view");

/** Markers in view.html that the inlined style and script replace. */
const STYLE = "/*STYLE*/";
const SCRIPT = "/*SCRIPT*/";

export async function buildApp({ outdir = join(root, "dist") } = {}) {
  const common = {
    absWorkingDir: root,
    bundle: true,
    minify: true,
    write: false,
    legalComments: "none",
    logLevel: "warning",
  };
  const [js, css, template] = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [join(viewDir, "main.ts")],
      format: "iife",
      platform: "browser",
      // What current host webviews run (Chromium, Safari/WebKit, Electron); light-dark() needs these too.
      target: ["chrome123", "safari17.5", "firefox120"],
    }),
    esbuild.build({ ...common, entryPoints: [join(viewDir, "view.css")], loader: { ".css": "css" } }),
    readFile(join(viewDir, "view.html"), "utf8"),
  ]);
  // Inside an inline <script>, "</script" would end it early; in JS, "<\/script" means the same.
  const script = js.outputFiles[0].text.replace(/<\/(script)/gi, "<\\/$1");
  const style = css.outputFiles[0].text.replace(/<\/(style)/gi, "<\\/$1");
  for (const marker of [STYLE, SCRIPT]) {
    if (template.split(marker).length !== 2) throw new Error(`view.html must contain ${marker} exactly once`);
  }
  // Function replacers: a "$&" in the bundle must stay as it is.
  const html = template.replace(STYLE, () => style.trim()).replace(SCRIPT, () => script.trim());
  const path = join(outdir, "app", "pipeline.html");
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, html);
  return { path, bytes: Buffer.byteLength(html) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf("--outdir");
  const { path, bytes } = await buildApp(flag > 0 ? { outdir: resolve(process.argv[flag + 1]) } : {}).catch(
    (error) => {
      // esbuild has already printed its errors with their locations.
      if (!(error?.errors?.length > 0)) console.error(error);
      process.exit(1);
    },
  );
  console.error(`build-app: ${relative(process.cwd(), path)}, ${(bytes / 1024).toFixed(1)} KB`);
}
