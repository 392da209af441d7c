import { openStore } from "./index.js";
import { describeLocation, resolveStoreSetting } from "./location.js";

/**
 * `moco-leads-mcp store`: what the lead store keeps, and deleting a scope's data.
 *   moco-leads-mcp store                 where, size, and per scope: leads, history, last sync
 *   moco-leads-mcp store delete SCOPE    removes every lead and change of that scope
 * MOCO_STORE chooses the store as for the server. Prints to stdout (this is not the MCP server).
 */
const USAGE = "usage: moco-leads-mcp store [delete SCOPE]   (MOCO_STORE selects the store)\n";

export async function storeCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const setting = resolveStoreSetting(env.MOCO_STORE, env);
  if (setting.kind === "memory" || setting.kind === "off") {
    process.stdout.write(`The lead store is ${describeLocation(setting)}: nothing is kept on disk.\n`);
    return 0;
  }
  const [verb, scope, ...rest] = args;
  if ((verb !== undefined && verb !== "delete") || (verb === "delete" && (!scope || rest.length > 0))) {
    process.stderr.write(USAGE);
    return 2;
  }
  const store = await openStore(setting);
  try {
    if (!store.available) {
      process.stderr.write(
        `moco-leads-mcp: the lead store at ${store.where} cannot be used: ${store.problem}\n`,
      );
      return 1;
    }
    if (verb === "delete") {
      const removed = await store.deleteScope(scope as string);
      process.stdout.write(
        removed ? `Deleted every lead and change of ${scope}.\n` : `No scope ${scope} in the store.\n`,
      );
      return removed ? 0 : 1;
    }
    const info = await store.describe();
    const lines = [
      `Lead store: ${info.where}`,
      `Size: ${(info.sizeBytes / 1024 / 1024).toFixed(1)} MB, schema version ${info.schemaVersion}`,
      `Scopes (MOCO base URL # 16 hex digits of the API key's SHA-256; the key itself is never kept): ${info.scopes.length}`,
      ...info.scopes.map(
        (s) =>
          `  ${s.scope}\n    ${s.leads} leads, ${s.changes} changes; last sync ${s.syncedAt ?? "never"}; history from ${s.historyStart ?? "—"} (oldest change ${s.oldestChange ?? "—"})`,
      ),
      setting.kind === "file"
        ? "Delete one with: moco-leads-mcp store delete SCOPE (or delete the file; MOCO_STORE=off keeps nothing)."
        : "Delete one with: moco-leads-mcp store delete SCOPE (MOCO_STORE=off keeps nothing).",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
