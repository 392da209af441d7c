import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { APP_MIME_TYPE, PIPELINE_APP_URI, UI_EXTENSION_ID } from "../../src/mcp/pipeline-app.js";
import { type Harness, startHarness } from "../support/harness.js";
import { readToolSnapshot, snapshotNames, toolSnapshot } from "../support/tool-snapshots.js";

/**
 * The view is offered only to clients that render MCP Apps: they see `_meta.ui.resourceUri` on
 * list_leads and pipeline_summary and the ui:// resource; every other client sees exactly the plain
 * tools (the committed per-tool snapshots in test/__toolsnaps__, test/mcp/contract.test.ts) and no such resource.
 */
const APPS = { extensions: { [UI_EXTENSION_ID]: { mimeTypes: [APP_MIME_TYPE] } } };
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const metaOf = (tools: { name: string; _meta?: unknown }[]) =>
  Object.fromEntries(tools.filter((t) => t._meta !== undefined).map((t) => [t.name, t._meta]));

describe("the pipeline app's wiring", () => {
  it("links list_leads and pipeline_summary to the view for a client that renders apps", async () => {
    h = await startHarness({ capabilities: APPS as never });
    const { tools } = await h.client.listTools();
    expect(metaOf(tools)).toEqual({
      list_leads: { ui: { resourceUri: PIPELINE_APP_URI } },
      pipeline_summary: { ui: { resourceUri: PIPELINE_APP_URI } },
    });
    const { resources } = await h.client.listResources();
    expect(resources.map((r) => r.uri)).toContain(PIPELINE_APP_URI);
    const read = await h.client.readResource({ uri: PIPELINE_APP_URI });
    expect(read.contents[0]?.mimeType).toBe(APP_MIME_TYPE);
  });

  it("changes nothing for a client without the extension: the snapshot's tools, no ui:// resource", async () => {
    h = await startHarness();
    const { tools } = await h.client.listTools();
    expect(metaOf(tools)).toEqual({});
    expect(tools.map((t) => t.name).sort()).toEqual(snapshotNames());
    for (const tool of tools) expect(toolSnapshot(tool), tool.name).toBe(readToolSnapshot(tool.name));
    const { resources } = await h.client.listResources();
    expect(resources.map((r) => r.uri)).not.toContain(PIPELINE_APP_URI);
  });

  it("is off when MOCO_APPS=off, even for a client that renders apps", async () => {
    h = await startHarness({ capabilities: APPS as never, env: { MOCO_APPS: "off" } });
    expect(metaOf((await h.client.listTools()).tools)).toEqual({});
  });

  it("is reported by the MCP Inspector CLI's --app-info for the linked tools", {
    timeout: 120_000,
  }, async () => {
    const root = new URL("../../", import.meta.url).pathname;
    const pkg = JSON.parse(
      readFileSync(`${root}node_modules/@modelcontextprotocol/inspector/package.json`, "utf8"),
    ) as { bin: Record<string, string> };
    const cli = `${root}node_modules/@modelcontextprotocol/inspector/${Object.values(pkg.bin)[0]}`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        cli,
        "--cli",
        process.execPath,
        `${root}dist/index.js`,
        "--sandbox",
        "--method",
        "tools/list",
        "--app-info",
        "--advertise-apps",
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
    const infos = stdout
      .split("\n")
      .filter((l) => l.includes('"hasApp"'))
      .map(
        (l) =>
          JSON.parse(l.slice(l.indexOf("{"))) as { toolName: string; hasApp: boolean; resourceUri?: string },
      );
    const withApp = infos.filter((i) => i.hasApp).map((i) => [i.toolName, i.resourceUri]);
    expect(withApp).toEqual([
      ["list_leads", PIPELINE_APP_URI],
      ["pipeline_summary", PIPELINE_APP_URI],
    ]);
  });
});
