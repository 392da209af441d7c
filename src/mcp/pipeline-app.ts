import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { McpServer, RegisteredResource } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";

/**
 * The server's side of the pipeline MCP App (extension io.modelcontextprotocol/ui, spec 2026-01-26):
 * the ui:// resource that hosts render in a sandboxed iframe for list_leads and pipeline_summary.
 * The view itself is src/app/view/, built by scripts/build-app.mjs into one self-contained HTML file.
 * Nothing here imports @modelcontextprotocol/ext-apps: the few constants it defines are spelled out
 * (test/app checks them against the package).
 */
export const UI_EXTENSION_ID = "io.modelcontextprotocol/ui";
export const APP_MIME_TYPE = "text/html;profile=mcp-app";
export const PIPELINE_APP_URI = "ui://moco-leads/pipeline.html";

/** What list_leads and pipeline_summary carry in tools/list as `_meta` to open the view. */
export const pipelineAppToolMeta = () => ({ ui: { resourceUri: PIPELINE_APP_URI } });

/** Whether the client said at initialize that it renders MCP Apps. */
export function clientRendersApps(capabilities: ClientCapabilities | undefined): boolean {
  const ui = capabilities?.extensions?.[UI_EXTENSION_ID] as { mimeTypes?: unknown } | undefined;
  return Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(APP_MIME_TYPE);
}

const BUILT = join("app", "pipeline.html");

/**
 * Where the built view lies: dist/app/pipeline.html, found from this module's own place, which is
 * dist/ (bundled bin), dist/chunks/ (a shared chunk) or src/mcp/ (tsx, vitest).
 */
export function pipelineAppPath(from = dirname(fileURLToPath(import.meta.url))): string {
  const tried: string[] = [];
  for (let dir = from, up = 0; up < 4; dir = dirname(dir), up++) {
    for (const candidate of [join(dir, BUILT), join(dir, "dist", BUILT)]) {
      if (existsSync(candidate)) return candidate;
      tried.push(candidate);
    }
  }
  throw new Error(
    `The pipeline app's view is not built (looked for ${tried.join(", ")}). Run npm run build (scripts/build-app.mjs).`,
  );
}

let cached: Promise<string> | undefined;

/** The built view's HTML, read once per process (the HTTP transport builds a server per request). */
export function pipelineAppHtml(): Promise<string> {
  if (!cached) {
    const reading = (async () => readFile(pipelineAppPath(), "utf8"))();
    cached = reading;
    // Not cached when missing: a later build may still provide it.
    reading.catch(() => {
      if (cached === reading) cached = undefined;
    });
  }
  return cached;
}

export interface PipelineAppOptions {
  /** The view's HTML; default pipelineAppHtml(). */
  html?: () => Promise<string>;
}

/** Registers the ui:// resource. Call it before connecting, only for clients that render apps. */
export function registerPipelineApp(server: McpServer, options: PipelineAppOptions = {}): RegisteredResource {
  const html = options.html ?? pipelineAppHtml;
  return server.registerResource(
    "pipeline_app",
    PIPELINE_APP_URI,
    {
      title: "Lead board and forecast",
      description: "Interactive view of list_leads and pipeline_summary results (MCP App).",
      mimeType: APP_MIME_TYPE,
    },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: APP_MIME_TYPE,
          text: await html(),
          // No csp: the view loads nothing from anywhere, so the host's restrictive default fits.
          _meta: { ui: { prefersBorder: true } },
        },
      ],
    }),
  );
}
