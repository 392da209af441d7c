import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import * as esbuild from "esbuild";
import { type BrowserContext, chromium, type Frame, type Page } from "playwright-core";
// @ts-expect-error: a plain .mjs build script without types
import { buildApp } from "../../../scripts/build-app.mjs";
import { loadConfig } from "../../../src/config.js";
import {
  APP_MIME_TYPE,
  PIPELINE_APP_URI,
  registerPipelineApp,
  UI_EXTENSION_ID,
} from "../../../src/mcp/pipeline-app.js";
import { createServer } from "../../../src/mcp/server.js";
import { MocoClient } from "../../../src/moco/client.js";
import { RateLimiter } from "../../../src/moco/rate-limit.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../../src/sandbox/index.js";
import { selectTools, TOOL_NAMES } from "../../../src/tools/index.js";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../../support/chromium.js";
import { TEST_KEY } from "../../support/harness.js";
import type { OpenApp } from "./host-page.js";

/**
 * A host for the view, built from real parts: the sandbox over TCP, the real MocoClient and server
 * (with the app's resource registered as the lead engineer will), an SDK client that advertised the
 * UI extension, and headless Chromium running a host page with ext-apps' AppBridge. The view's
 * tools/call requests travel view → AppBridge → this SDK client → server → sandbox, and back.
 */
export const ARTIFACTS = join(import.meta.dirname, "..", "artifacts");
const HOST_URL = "http://host.test/";
const VIEW_URL = "http://view.test/pipeline.html";
/** The CSP a host MUST apply when the resource declares none (spec 2026-01-26, UI Resource Format). */
export const DEFAULT_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:; connect-src 'none'";

export interface HostedCall {
  name: string;
  arguments: Record<string, unknown>;
  result: CallToolResult;
}

export interface AppHost {
  sandbox: Sandbox;
  client: Client;
  html: string;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Opens a fresh page showing the view for this tool call; returns the view's frame. */
  open(options: {
    tool: "list_leads" | "pipeline_summary";
    args: Record<string, unknown>;
    result: CallToolResult;
    hostContext?: Record<string, unknown>;
  }): Promise<{ page: Page; view: Frame; calls: HostedCall[]; dialogs: string[]; problems: string[] }>;
  /** Requests that tried to leave the page (none should: the view is self-contained). */
  blocked: string[];
  close(): Promise<void>;
}

export async function startAppHost(options: { sandbox?: SandboxOptions } = {}): Promise<AppHost> {
  const built = await mkdtemp(join(tmpdir(), "moco-app-"));
  const profile = await mkdtemp(join(tmpdir(), "moco-chromium-"));
  const { path } = await buildApp({ outdir: built });
  const sandbox = await startSandbox({ apiKey: TEST_KEY, ...options.sandbox });
  const config = loadConfig([], { MOCO_API_KEY: TEST_KEY, MOCO_BASE_URL: sandbox.url }, TOOL_NAMES);
  const moco = new MocoClient({
    baseUrl: sandbox.url,
    apiKey: TEST_KEY,
    userAgent: "moco-leads-mcp-test",
    requestTimeoutMs: config.requestTimeoutMs,
    budget: new RateLimiter(config.rateLimit),
    retryBaseMs: 5,
    retryMaxMs: 20,
  });
  const server = createServer({ moco, config, version: "0.0.0-test", tools: selectTools(config) });
  registerPipelineApp(server, { html: () => readFile(path, "utf8") });
  const client = new Client(
    { name: "app-host", version: "1.0.0" },
    { capabilities: { extensions: { [UI_EXTENSION_ID]: { mimeTypes: [APP_MIME_TYPE] } } } },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  await client.listTools();
  // The host reads the view the way a real one does: resources/read of the ui:// URI.
  const read = await client.readResource({ uri: PIPELINE_APP_URI });
  const html = String((read.contents[0] as { text?: string }).text);
  const hostScript = await esbuild.build({
    entryPoints: [join(import.meta.dirname, "host-page.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    write: false,
    logLevel: "warning",
  });
  const hostHtml = `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;background:#888}iframe{border:0;width:100%;display:block}</style></head><body><script>${hostScript.outputFiles[0]?.text.replace(/<\/script/gi, "<\\/script")}</script></body></html>`;
  const browser: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
  });
  // Nothing reaches the network: the host page and the view are served here, everything else fails.
  const blocked: string[] = [];
  await browser.route("**/*", (route) => {
    const url = route.request().url();
    if (url === HOST_URL) return route.fulfill({ contentType: "text/html", body: hostHtml });
    if (url === VIEW_URL) {
      return route.fulfill({
        contentType: "text/html",
        headers: { "content-security-policy": DEFAULT_CSP },
        body: html,
      });
    }
    blocked.push(url);
    return route.abort();
  });
  const call = (name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
  return {
    sandbox,
    client,
    html,
    call,
    blocked,
    async open({ tool, args, result, hostContext = {} }) {
      const page = await browser.newPage();
      const calls: HostedCall[] = [];
      const dialogs: string[] = [];
      // Console errors (a CSP refusal, a failed load) and uncaught exceptions, from the host or the view.
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.exposeFunction(
        "hostCallTool",
        async (params: { name: string; arguments?: Record<string, unknown> }) => {
          const res = await call(params.name, params.arguments ?? {});
          calls.push({ name: params.name, arguments: params.arguments ?? {}, result: res });
          return res;
        },
      );
      await page.goto(HOST_URL);
      const tools = (await client.listTools()).tools;
      const open: OpenApp = {
        viewUrl: VIEW_URL,
        args,
        result,
        hostContext: {
          toolInfo: { tool: tools.find((t) => t.name === tool) },
          theme: "light",
          locale: "en-US",
          timeZone: "Europe/Zurich",
          displayMode: "inline",
          availableDisplayModes: ["inline", "fullscreen"],
          containerDimensions: { maxHeight: 2400, width: 1440 },
          ...hostContext,
        },
      };
      await page.evaluate((o) => window.openApp(o), open);
      const frame = await (await page.waitForSelector("iframe#app")).contentFrame();
      if (!frame) throw new Error("the view's frame did not load");
      return { page, view: frame, calls, dialogs, problems };
    },
    async close() {
      await browser.close();
      await client.close();
      await server.close();
      await moco.close();
      await sandbox.close();
      await rm(built, { recursive: true, force: true });
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Today in a time zone, as the view computes it for overdue marks. */
export const todayIn = (timeZone: string) =>
  new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(),
  );

/**
 * A screenshot of the whole view: the viewport grows to the frame's height first, then the view
 * renders two frames, so the (out-of-process) iframe has painted what the assertions saw.
 */
export async function snapshot(page: Page, view: Frame, name: string): Promise<void> {
  const height = await page.evaluate(() => Math.ceil(document.documentElement.scrollHeight));
  await page.setViewportSize({ width: 1440, height: Math.max(600, height) });
  await view.evaluate(
    () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(null)))),
  );
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}
