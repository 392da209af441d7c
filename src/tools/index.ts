import type { Tool } from "../mcp/tool.js";
import { addLeadNoteTool } from "./add-lead-note.js";
import { createLeadTool } from "./create-lead.js";
import { deleteLeadTool } from "./delete-lead.js";
import { getLeadTool } from "./get-lead.js";
import { getLeadOptionsTool } from "./get-lead-options.js";
import { leadChangesTool } from "./lead-changes.js";
import { listLeadsTool } from "./list-leads.js";
import { pipelineSummaryTool } from "./pipeline-summary.js";
import { updateLeadTool } from "./update-lead.js";
import { updateLeadsTool } from "./update-leads.js";

/** Every tool the server can offer, in the order tools/list shows them. */
export const ALL_TOOLS: readonly Tool[] = [
  listLeadsTool,
  getLeadTool,
  createLeadTool,
  updateLeadTool,
  updateLeadsTool,
  deleteLeadTool,
  getLeadOptionsTool,
  addLeadNoteTool,
  pipelineSummaryTool,
  leadChangesTool,
];

export const TOOL_NAMES = ALL_TOOLS.map((t) => t.name);

/** What decides which tools are offered (the config's switches, named here so tools/ never reads config). */
export interface ToolSelection {
  readonly readOnly: boolean;
  readonly allowTools?: readonly string[] | undefined;
  readonly denyTools: readonly string[];
}

/** Read-only mode hides every tool that writes; allow- and deny-lists narrow further. */
export function selectTools(config: ToolSelection, tools = ALL_TOOLS) {
  return tools.filter(
    (t) =>
      (!config.readOnly || t.annotations.readOnlyHint) &&
      (!config.allowTools || config.allowTools.includes(t.name)) &&
      !config.denyTools.includes(t.name),
  );
}
