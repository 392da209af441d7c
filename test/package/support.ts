import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const run = promisify(execFile);

/** These tests check what gets shipped, so they need the build `npm test` makes before vitest runs. */
export function requireBuild(): void {
  if (!existsSync(join(ROOT, "dist/index.js")))
    throw new Error("dist/ is missing: run `npm run build` first");
}

/** The environment minus npm's own variables, so a child npm does not inherit this project's settings. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

/** Starts a server the way a host does (a child over stdio) and connects the official SDK client. */
export async function connectStdio(command: string, args: string[], env: Record<string, string>) {
  // A lead mirror in memory: a test never writes into the user's data directory.
  const transport = new StdioClientTransport({
    command,
    args,
    env: { MOCO_STORE: "memory", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: "package-test", version: "1.0.0" });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nstderr:\n${stderr}`);
  }
  return { client, stderr: () => stderr };
}

/** Every file under dir, as forward-slash paths relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort();
}
