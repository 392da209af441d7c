#!/usr/bin/env node
/**
 * The executable's first lines: refuse an unsupported Node before anything else is loaded (a newer
 * built-in such as node:sqlite would otherwise fail with an error that names neither the cause nor
 * the fix), then start the server.
 */
const MIN = [22, 13] as const;

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < MIN[0] || (major === MIN[0] && minor < MIN[1])) {
  process.stderr.write(
    `moco-leads-mcp: Node.js ${process.versions.node} is too old; it needs Node.js ${MIN.join(".")} or newer (22 or 24 LTS).\n`,
  );
  process.exit(1);
}
await import("./index.js");
