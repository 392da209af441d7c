import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  type CallToolResult,
  ListToolsRequestSchema,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Config } from "../config.js";
import { describeError } from "../errors.js";
import { callOptions, leadsContext } from "../leads/context.js";
import type { MirrorRegistry } from "../leads/mirror/index.js";
import { log, redact } from "../log.js";
import type { MocoClient } from "../moco/client.js";
import { jsonLine } from "../text.js";
import { formValidator } from "./form-validator.js";
import { clientRendersApps, pipelineAppToolMeta, registerPipelineApp } from "./pipeline-app.js";
import { registerPrompts } from "./prompts.js";
import { registerResources } from "./resources.js";
import type { Tool, ToolContext } from "./tool.js";

const SERVER_NAME = "moco-leads-mcp";
export const SANDBOX_NOTICE = "[Sandbox: demo data, not a real MOCO account]";

export interface ServerDeps {
  moco: MocoClient;
  /** The lead mirrors (one per credential scope), opened on first use; absent: the store is off. */
  mirrors?: () => Promise<MirrorRegistry | undefined>;
  config: Config;
  version: string;
  /** The tools to offer (the composition root selects them: read-only mode, allow- and deny-lists). */
  tools: readonly Tool[];
}

/** One MCP server: registers the selected tools in one loop behind one error boundary. */
export function createServer({ moco, mirrors, config, version, tools }: ServerDeps): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: "MOCO Leads", version },
    {
      capabilities: { logging: {} },
      jsonSchemaValidator: formValidator,
      instructions:
        "Tools for the leads (MOCO calls them deals) of one MOCO account. Find ids with list_leads before get/update/delete." +
        (config.upstream.kind === "sandbox" ? ` ${SANDBOX_NOTICE}` : ""),
    },
  );
  const selected = tools;
  for (const tool of selected) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: tool.annotations,
      },
      async (args: Record<string, unknown>, extra): Promise<CallToolResult> => {
        const startedAt = new Date();
        const ctx = context(server, moco, config, extra, mirrors);
        try {
          const { data, summary } = await tool.run(args, ctx);
          const prefix = config.upstream.kind === "sandbox" ? `${SANDBOX_NOTICE} ` : "";
          return {
            structuredContent: data,
            content: [{ type: "text", text: `${prefix}${summary}\n${jsonLine(data)}` }],
          };
        } catch (error) {
          const report = describeError(error, {
            id: typeof args.id === "number" ? args.id : undefined,
            uncertain: tool.uncertain && (() => tool.uncertain?.(args, startedAt) ?? ""),
          });
          log(
            report.data.kind === "internal" ? "error" : "warn",
            `${tool.name} failed: ${report.data.message}`,
            {
              kind: report.data.kind,
              ...(report.data.kind === "internal" && error instanceof Error ? { stack: error.stack } : {}),
            },
          );
          // No structuredContent here: SDK clients validate it against the tool's success schema
          // even on errors. The machine-readable details ride along as a JSON line in the text.
          return {
            isError: true,
            content: [{ type: "text", text: redact(`${report.text}\n${jsonLine({ error: report.data })}`) }],
          };
        }
      },
    );
  }
  registerResources(server, { moco, config, mirrors });
  registerPrompts(server, { moco, config }, selected);
  // Every byte of tools/list is paid in every conversation. The SDK's own listing adds a `$schema`
  // to every schema, an `execution` block and safe-integer bounds nobody needs; ours leaves them out.
  // Converted on the first tools/list, not at start: a host waits for initialize, and tools are
  // converted once per process anyway (see publish).
  let listing: { tools: PublishedTool[] } | undefined;
  let withApp: { tools: (PublishedTool & { _meta?: unknown })[] } | undefined;
  const plain = () => (listing ??= { tools: selected.map(publish) });
  const linked = () =>
    (withApp ??= {
      tools: selected.map((t) =>
        APP_TOOLS.has(t.name) ? { ...publish(t), _meta: pipelineAppToolMeta() } : publish(t),
      ),
    });
  let registered = false;
  // Decided once the client has said what it renders (initialize); asked again at tools/list, whichever comes first.
  const appsOn = () => {
    const on =
      config.apps === "on" ||
      (config.apps === "auto" && clientRendersApps(server.server.getClientCapabilities()));
    if (on && !registered) {
      registered = true;
      registerPipelineApp(server);
    }
    return on;
  };
  if (config.apps === "on") appsOn();
  server.server.oninitialized = () => void appsOn();
  server.server.setRequestHandler(ListToolsRequestSchema, () => (appsOn() ? linked() : plain()));
  return server;
}

/** The tools whose results the pipeline view shows. */
const APP_TOOLS = new Set(["list_leads", "pipeline_summary"]);

export type PublishedTool = ReturnType<typeof describeTool>;

// Tools are constants: converted to JSON Schema once per process, not on every (stateless HTTP) request.
const published = new WeakMap<Tool, PublishedTool>();

/** A tool as tools/list shows it. */
export function publish(tool: Tool): PublishedTool {
  let entry = published.get(tool);
  if (!entry) {
    entry = describeTool(tool);
    published.set(tool, entry);
  }
  return entry;
}

function describeTool(tool: Tool) {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchema(tool.input, "input"),
    outputSchema: jsonSchema(tool.output, "output"),
    annotations: tool.annotations,
  };
}

/**
 * A zod schema as tools/list shows it. Output schemas say what each field is, not how strictly a
 * client should check it: `required`, `additionalProperties` and `propertyNames` are left out there
 * (MOCO adds fields over time, and every byte is paid in every conversation).
 */
function jsonSchema(schema: z.ZodType, io: "input" | "output") {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, target: "draft-7", unrepresentable: "any" });
  const loose = new Set(io === "output" ? ["required", "additionalProperties", "propertyNames"] : []);
  return JSON.parse(JSON.stringify(rest), function (this: Record<string, unknown>, key, value) {
    const unbounded =
      (key === "maximum" && value === Number.MAX_SAFE_INTEGER) ||
      (key === "minimum" && value === Number.MIN_SAFE_INTEGER);
    // What every JSON object allows anyway: string keys, and any value for a key of a record.
    const implied =
      this.type === "object" &&
      ((key === "propertyNames" && JSON.stringify(value) === '{"type":"string"}') ||
        (key === "additionalProperties" && JSON.stringify(value) === "{}"));
    // Keywords of an object schema only (`this.type` is "object"), never a property of that name.
    return unbounded || implied || (loose.has(key) && this.type === "object") ? undefined : value;
  }) as { type: "object"; [key: string]: unknown };
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

function context(
  server: McpServer,
  moco: MocoClient,
  config: Config,
  extra: Extra,
  mirrors: ServerDeps["mirrors"],
): ToolContext {
  const call = callOptions(config.toolTimeoutMs, extra.signal);
  const token = extra._meta?.progressToken;
  // Form mode is what confirm() uses; a client declaring only URL elicitation cannot answer it.
  const canElicit = server.server.getClientCapabilities()?.elicitation?.form !== undefined;
  const deps = { moco, maxScanPages: config.maxScanPages, today: config.today, mirrors };
  const progress: ToolContext["progress"] = async (progress, total, message) => {
    if (token === undefined) return;
    await extra.sendNotification({
      method: "notifications/progress",
      params: { progressToken: token, progress, ...(total === undefined ? {} : { total }), message },
    });
  };
  return {
    ...leadsContext(deps, call, progress),
    signal: extra.signal,
    deadline: call.deadline ?? Date.now(),
    call: {
      ...call,
      onRetry: (retry) => {
        const message = `MOCO ${retry.method} ${retry.path}: ${retry.reason}; retry ${retry.attempt} in ${retry.delayMs} ms`;
        log("warn", message);
        // On the call's own channel, so it also reaches clients of the stateless HTTP transport.
        extra
          .sendNotification({
            method: "notifications/message",
            params: { level: "warning", logger: "moco", data: redact(message) },
          })
          .catch(() => {});
      },
    },
    confirm: canElicit
      ? async (message) => {
          const answer = await server.server.elicitInput(
            {
              message,
              requestedSchema: {
                type: "object",
                properties: { confirm: { type: "boolean", title: "Confirm", description: message } },
                required: ["confirm"],
              },
            },
            { signal: extra.signal },
          );
          return answer.action === "accept" && answer.content?.confirm === true;
        }
      : undefined,
  };
}
