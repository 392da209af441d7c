import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  ErrorCode,
  McpError,
  type ReadResourceResult,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import type { Config } from "../config.js";
import { describeError, RESOURCE_ERROR_CODE } from "../errors.js";
import { callOptions, leadsContext } from "../leads/context.js";
import { findLeads } from "../leads/find.js";
import type { MirrorRegistry } from "../leads/mirror/index.js";
import { summarize } from "../leads/pipeline.js";
import { stageOrder } from "../leads/stages.js";
import type { MocoClient } from "../moco/client.js";
import { getLead } from "../moco/leads.js";
import { stages } from "../moco/reference.js";
import { currenciesData } from "../replies/pipeline.js";
import { scanData } from "../replies/rows.js";

/**
 * Resources: what a user can attach to a conversation by hand. Each lead (by URI template), the stages,
 * and the pipeline summary. Reads go through the same MOCO client, rate budget and timeouts as tools.
 */
export interface ResourceDeps {
  moco: MocoClient;
  config: Config;
  mirrors?: () => Promise<MirrorRegistry | undefined>;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const json = (uri: URL, value: unknown): ReadResourceResult => ({
  contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(value) }],
});

export function registerResources(server: McpServer, { moco, config, mirrors }: ResourceDeps): void {
  const call = (extra: Extra) => callOptions(config.toolTimeoutMs, extra.signal);
  // Failures become JSON-RPC errors carrying the same next step a tool error would give.
  const guarded =
    (read: (uri: URL, extra: Extra, id?: number) => Promise<ReadResourceResult>) =>
    async (uri: URL, extra: Extra, id?: number) => {
      try {
        return await read(uri, extra, id);
      } catch (error) {
        const report = describeError(error, { id });
        const code = RESOURCE_ERROR_CODE[report.data.kind as keyof typeof RESOURCE_ERROR_CODE];
        throw new McpError(code ?? ErrorCode.InternalError, report.text, { uri: uri.href });
      }
    };

  // No list callback: listing every lead would scan all of MOCO's pages whenever a client refreshes its
  // resource list, and MOCO sends leads oldest first, so a first page would offer the least relevant
  // ones. Leads are found with list_leads; any id can then be read here.
  const readLead = guarded(async (uri, extra, id) => json(uri, await getLead(moco, id ?? 0, call(extra))));
  server.registerResource(
    "lead",
    new ResourceTemplate("moco://leads/{id}", { list: undefined }),
    {
      title: "MOCO lead",
      description: "One lead (deal) with all its fields, as MOCO sends it. Find ids with list_leads.",
      mimeType: "application/json",
    },
    async (uri, variables, extra) => {
      const raw = String(variables.id);
      if (!/^[1-9]\d{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
        throw new McpError(ErrorCode.InvalidParams, `"${raw}" is not a lead id; use e.g. moco://leads/4711`);
      }
      return readLead(uri, extra, Number(raw));
    },
  );

  server.registerResource(
    "stages",
    "moco://stages",
    {
      title: "Pipeline stages",
      description: "The account's pipeline stages (MOCO deal categories) with their win probabilities.",
      mimeType: "application/json",
    },
    guarded(async (uri, extra) => {
      // In pipeline order.
      return json(uri, [...(await stages(moco, call(extra)))].sort(stageOrder));
    }),
  );

  server.registerResource(
    "pipeline-summary",
    "moco://pipeline/summary",
    {
      title: "Pipeline summary",
      description:
        "All leads by currency, status and stage with weighted pending value and the five largest pending leads, and the counts over all currencies (pipeline_summary without filters), from the lead mirror where it is on.",
      mimeType: "application/json",
    },
    guarded(async (uri, extra) => {
      const deps = { moco, maxScanPages: config.maxScanPages, today: config.today, mirrors };
      const found = await findLeads({}, leadsContext(deps, call(extra)));
      const summary = summarize(found.leads, { monthBasis: "reminder_date", top: 5 });
      return json(uri, {
        currencies: currenciesData(summary.currencies),
        all_currencies: summary.all_currencies,
        undated: summary.undated,
        ...scanData(found.scan, found.leads.length),
        as_of: found.asOf ?? null,
      });
    }),
  );
}
