/// <reference lib="dom" />
// The test host: the page a chat client would be, reduced to the bridge. It uses ext-apps' own host
// side (AppBridge over PostMessageTransport), so the view is checked against the reference
// implementation, not against a copy of its own assumptions. tools/call goes to window.hostCallTool,
// which the test binds to a real SDK client connected to the real server.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
import type { CallToolRequest, CallToolResult } from "@modelcontextprotocol/sdk/types.js";

type McpUiHostContext = Parameters<AppBridge["setHostContext"]>[0];
type DisplayMode = "inline" | "fullscreen" | "pip";

declare global {
  interface Window {
    hostCallTool(params: CallToolRequest["params"]): Promise<CallToolResult>;
    openApp(open: OpenApp): Promise<void>;
    setHostContext(ctx: McpUiHostContext): void;
    sizes: { width?: number; height?: number }[];
    displayModeRequests: string[];
  }
}

export interface OpenApp {
  viewUrl: string;
  args: Record<string, unknown>;
  result: CallToolResult;
  hostContext: McpUiHostContext;
}

let bridge: AppBridge | undefined;
let context: McpUiHostContext = {};
window.sizes = [];
window.displayModeRequests = [];

window.openApp = async ({ viewUrl, args, result, hostContext }) => {
  context = hostContext;
  bridge = new AppBridge(
    null,
    { name: "moco-leads-test-host", version: "1.0.0" },
    { serverTools: {}, logging: {} },
    { hostContext },
  );
  bridge.oncalltool = (params) => window.hostCallTool(params);
  bridge.onrequestdisplaymode = async (params) => {
    const mode = (params as { mode: DisplayMode }).mode;
    window.displayModeRequests.push(mode);
    const next: DisplayMode = context.availableDisplayModes?.includes(mode)
      ? mode
      : (context.displayMode ?? "inline");
    window.setHostContext({ ...context, displayMode: next });
    return { mode: next };
  };
  const iframe = document.createElement("iframe");
  iframe.id = "app";
  // As a desktop host does: a sandboxed frame of its own (opaque) origin, scripts only.
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.title = "MOCO leads app";
  bridge.onsizechange = ({ width, height }) => {
    window.sizes.push({ width, height });
    if (height !== undefined) iframe.style.height = `${height}px`;
  };
  bridge.oninitialized = async () => {
    await bridge?.sendToolInput({ arguments: args });
    await bridge?.sendToolResult(result);
  };
  iframe.src = viewUrl;
  document.body.append(iframe);
  if (!iframe.contentWindow) throw new Error("no iframe window");
  // Connected before the view's script runs, so its ui/initialize is never missed.
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
};

window.setHostContext = (ctx) => {
  context = ctx;
  bridge?.setHostContext(ctx);
};
