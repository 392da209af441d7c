#!/usr/bin/env node
/**
 * The executable's first lines: refuse an unsupported Node before anything else is loaded (a newer
 * built-in such as node:sqlite would otherwise fail with an error that names neither the cause nor
 * the fix), turn on V8's code cache, then start the server.
 */
import module from "node:module";
import { join } from "node:path";

const MIN = [22, 13] as const;

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < MIN[0] || (major === MIN[0] && minor < MIN[1])) {
  process.stderr.write(
    `moco-leads-mcp: Node.js ${process.versions.node} is too old; it needs Node.js ${MIN.join(".")} or newer (22 or 24 LTS).\n`,
  );
  process.exit(1);
}

// V8 keeps the compiled bundle between starts, so a later start skips compiling it (about a sixth of
// a start). In the user's own cache directory, not the shared temp folder Node would use; the
// NODE_COMPILE_CACHE variable names another, NODE_DISABLE_COMPILE_CACHE=1 turns it off. A cache that
// cannot be written costs nothing but the saving. src/index.ts writes it once the server is up.
const { cacheDir, STORE_DIR_NAME } = await import("./store/location.js");
module.enableCompileCache?.(
  process.env.NODE_COMPILE_CACHE
    ? undefined
    : join(cacheDir(process.env, process.platform), STORE_DIR_NAME, "compile-cache"),
);
await import("./index.js");
