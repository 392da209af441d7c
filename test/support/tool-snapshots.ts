import { readdirSync, readFileSync } from "node:fs";

/**
 * The committed tools/list, one file per tool: `test/__toolsnaps__/<tool_name>.json` holds
 * `JSON.stringify(tool, null, 2)` of what tools/list sends for that tool, byte for byte; the order of
 * the list is an inline snapshot in test/mcp/contract.test.ts.
 */
export const TOOLSNAPS = new URL("../__toolsnaps__/", import.meta.url);

/** The path toMatchFileSnapshot takes, relative to a test file one folder below test/. */
export const toolSnapshotFile = (name: string) => `../__toolsnaps__/${name}.json`;

/** How a tool is written to its snapshot. */
export const toolSnapshot = (tool: unknown) => JSON.stringify(tool, null, 2);

export const readToolSnapshot = (name: string) => readFileSync(new URL(`${name}.json`, TOOLSNAPS), "utf8");

/** The tools that have a snapshot, by file name, sorted. */
export const snapshotNames = () =>
  readdirSync(TOOLSNAPS)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
