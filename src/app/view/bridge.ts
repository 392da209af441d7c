/// <reference lib="dom" />

/**
 * The view's end of the MCP Apps bridge (spec 2026-01-26): JSON-RPC 2.0 over postMessage with the
 * host window. The spec notes that no SDK is needed for this; ext-apps' App class would bring the MCP
 * SDK and zod into the iframe (about 500 KB minified), this is a few hundred bytes. Only messages
 * from the parent window are read.
 */
export type HostContext = {
  toolInfo?: { tool?: { name?: string } };
  theme?: "light" | "dark";
  styles?: { variables?: Record<string, string | undefined>; css?: { fonts?: string } };
  displayMode?: "inline" | "fullscreen" | "pip";
  availableDisplayModes?: string[];
  containerDimensions?: { height?: number; maxHeight?: number; width?: number; maxWidth?: number };
  locale?: string;
  timeZone?: string;
  [key: string]: unknown;
};

export interface InitializeResult {
  protocolVersion: string;
  hostCapabilities?: { serverTools?: object; [key: string]: unknown };
  hostContext?: HostContext;
}

export interface ToolResult {
  isError?: boolean;
  content?: unknown[];
  structuredContent?: unknown;
}

type Message = {
  jsonrpc?: string;
  id?: number | string;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message?: string };
};

export const PROTOCOL_VERSION = "2026-01-26";

export class Bridge {
  private nextId = 1;
  private readonly pending = new Map<
    number | string,
    { resolve(v: unknown): void; reject(e: Error): void }
  >();
  private readonly handlers = new Map<string, (params: unknown) => void>();

  constructor(private readonly host: Window) {
    window.addEventListener("message", (event) => {
      if (event.source === this.host) this.receive(event.data as Message);
    });
  }

  /** Handles a host notification (ui/notifications/…); one handler per method. */
  on(method: string, handler: (params: unknown) => void): void {
    this.handlers.set(method, handler);
  }

  request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ jsonrpc: "2.0", id, method, params });
    });
  }

  notify(method: string, params: unknown = {}): void {
    this.post({ jsonrpc: "2.0", method, params });
  }

  /** The handshake: ui/initialize, then ui/notifications/initialized (before the host sends anything). */
  async connect(appInfo: { name: string; version: string }, availableDisplayModes: string[]) {
    const result = (await this.request("ui/initialize", {
      appInfo,
      appCapabilities: { availableDisplayModes },
      protocolVersion: PROTOCOL_VERSION,
    })) as InitializeResult;
    this.notify("ui/notifications/initialized");
    return result;
  }

  /** tools/call through the host, which proxies it to our MCP server. */
  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    return this.request("tools/call", { name, arguments: args }) as Promise<ToolResult>;
  }

  private post(message: Message) {
    this.host.postMessage(message, "*");
  }

  private receive(m: Message) {
    if (m?.jsonrpc !== "2.0") return;
    if (m.method === undefined) {
      const waiting = m.id === undefined ? undefined : this.pending.get(m.id);
      if (!waiting || m.id === undefined) return;
      this.pending.delete(m.id);
      if (m.error) waiting.reject(new Error(m.error.message ?? "The host refused the request."));
      else waiting.resolve(m.result);
      return;
    }
    if (m.id !== undefined) {
      // Requests from the host: ping and teardown need only an answer; nothing here needs saving.
      const known = m.method === "ping" || m.method === "ui/resource-teardown";
      this.post(
        known
          ? { jsonrpc: "2.0", id: m.id, result: {} }
          : ({
              jsonrpc: "2.0",
              id: m.id,
              error: { code: -32601, message: `Unknown method ${m.method}` },
            } as Message),
      );
      return;
    }
    this.handlers.get(m.method)?.(m.params);
  }
}

/** Reports the content's size so a host with flexible dimensions can fit the iframe to it. */
export function reportSize(bridge: Bridge): void {
  let queued = false;
  let last = "";
  const measure = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      const root = document.documentElement;
      const before = root.style.height;
      root.style.height = "max-content";
      const height = Math.ceil(root.getBoundingClientRect().height);
      root.style.height = before;
      const width = Math.ceil(window.innerWidth);
      if (`${width}x${height}` === last) return;
      last = `${width}x${height}`;
      bridge.notify("ui/notifications/size-changed", { width, height });
    });
  };
  const observer = new ResizeObserver(measure);
  observer.observe(document.documentElement);
  observer.observe(document.body);
  measure();
}
