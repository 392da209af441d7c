import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXTENSION_ID, getUiCapability, RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps/server";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APP_MIME_TYPE,
  clientRendersApps,
  PIPELINE_APP_URI,
  pipelineAppPath,
  pipelineAppToolMeta,
  UI_EXTENSION_ID,
} from "../../src/mcp/pipeline-app.js";
import { type AppHost, startAppHost } from "./support/app-host.js";

let host: AppHost;
beforeAll(async () => {
  host = await startAppHost();
}, 60_000);
afterAll(() => host?.close());

describe("the pipeline app's resource", () => {
  it("is listed and read as one self-contained text/html;profile=mcp-app document of at most 100 KB", async () => {
    const listed = (await host.client.listResources()).resources.find((r) => r.uri === PIPELINE_APP_URI);
    expect(listed).toMatchObject({
      uri: "ui://moco-leads/pipeline.html",
      mimeType: "text/html;profile=mcp-app",
    });
    const read = await host.client.readResource({ uri: PIPELINE_APP_URI });
    expect(read.contents).toHaveLength(1);
    expect(read.contents[0]).toMatchObject({ uri: PIPELINE_APP_URI, mimeType: APP_MIME_TYPE });
    const html = host.html;
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(100_000);
    // Inline script and style only: nothing for a host's CSP to refuse.
    expect(html).not.toMatch(/<script[^>]+src=|<link\b|@import|url\(|<img\b|<iframe\b/i);
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html.match(/<\/script>/g)).toHaveLength(1);
  });

  it("spells the extension's constants as ext-apps does, and reads client capabilities the same way", () => {
    expect(APP_MIME_TYPE).toBe(RESOURCE_MIME_TYPE);
    expect(UI_EXTENSION_ID).toBe(EXTENSION_ID);
    expect(pipelineAppToolMeta()).toEqual({ ui: { resourceUri: PIPELINE_APP_URI } });
    const cases: (ClientCapabilities | undefined)[] = [
      undefined,
      {},
      { extensions: {} },
      { extensions: { [EXTENSION_ID]: {} } },
      { extensions: { [EXTENSION_ID]: { mimeTypes: ["text/html"] } } },
      { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } },
    ];
    const theirs = cases.map((c) => getUiCapability(c)?.mimeTypes?.includes(RESOURCE_MIME_TYPE) === true);
    expect(theirs).toEqual([false, false, false, false, false, true]);
    expect(cases.map(clientRendersApps)).toEqual(theirs);
  });

  it("says where it looked and how to build the view when the built file is missing", async () => {
    const empty = await mkdtemp(join(tmpdir(), "moco-no-app-"));
    try {
      expect(() => pipelineAppPath(join(empty, "dist", "chunks"))).toThrow(
        /pipeline app's view is not built \(looked for .*dist\/chunks\/app\/pipeline\.html.*\)\. Run npm run build/,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
