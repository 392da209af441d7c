import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { Config } from "../config.js";
import { callOptions } from "../leads/context.js";
import { addDays, localToday } from "../leads/dates.js";
import type { MocoClient } from "../moco/client.js";
import { stages, users } from "../moco/reference.js";
import { fold } from "../text.js";
import type { Tool } from "./tool.js";

/**
 * Prompts: the menu entries a sales person picks (slash commands in most clients). Each one tells the
 * model which tools to call with which arguments, with the dates already worked out, so the answer does
 * not depend on the model's date arithmetic. A prompt is offered only when the tools it names are.
 */
export interface PromptDeps {
  moco: MocoClient;
  config: Config;
}

/** Suggestions for a partly typed name: prefix matches first, then anywhere; case and accents aside. */
function suggest(names: readonly string[], typed: string | undefined): string[] {
  const f = fold(typed ?? "");
  const prefix = names.filter((n) => fold(n).startsWith(f));
  const inside = names.filter((n) => !prefix.includes(n) && fold(n).includes(f));
  return [...prefix, ...inside].slice(0, 20);
}

const text = (t: string) => ({
  messages: [{ role: "user" as const, content: { type: "text" as const, text: t } }],
});

/**
 * The completing argument schemas of one MOCO client, built once per client rather than per server:
 * the stateless HTTP transport builds a server for every request. The reference lists are cached per
 * client too, so completing per keystroke costs no request.
 */
const LOG_CALL_ARGS = {
  lead: z.string().describe("Lead id, or words from its name or company, e.g. 4711 or Beispiel AG"),
  notes: z.string().describe("What was discussed and agreed"),
  next_reminder: z.string().optional().describe("Next follow-up date YYYY-MM-DD, e.g. 2026-03-01"),
};

const schemasByClient = new WeakMap<MocoClient, ReturnType<typeof buildArgSchemas>>();
function argSchemas(moco: MocoClient) {
  let schemas = schemasByClient.get(moco);
  if (!schemas) {
    schemas = buildArgSchemas(moco);
    schemasByClient.set(moco, schemas);
  }
  return schemas;
}

function buildArgSchemas(moco: MocoClient) {
  const call = () => callOptions(10_000);
  const stageNames = async () => (await stages(moco, call())).map((s) => s.name);
  // Active users; without the Staff permission only the key's own user is known.
  const userNames = async () => (await users(moco, call())).users.map((u) => u.name);
  const complete = (names: () => Promise<string[]>) => async (typed: string | undefined) => {
    try {
      return suggest(await names(), typed);
    } catch {
      return [];
    }
  };
  // The SDK looks for completion on an optional argument's inner schema at registration and on the
  // argument itself when asked, so both carry it.
  const optionalName = (description: string, names: () => Promise<string[]>) =>
    completable(completable(z.string(), complete(names)).optional().describe(description), complete(names));
  const userArgs = new Map<string, ReturnType<typeof optionalName>>();
  return {
    userArg: (description: string) => {
      let arg = userArgs.get(description);
      if (!arg) {
        arg = optionalName(description, userNames);
        userArgs.set(description, arg);
      }
      return arg;
    },
    stageArg: optionalName("New pipeline stage, e.g. Verhandlungen", stageNames),
  };
}

/**
 * Registers the prompts that fit `tools`, the tools this server offers (createServer passes its own
 * selection; the default is the one the config makes).
 */
export function registerPrompts(
  server: McpServer,
  { moco, config }: PromptDeps,
  tools: readonly Pick<Tool, "name">[],
): void {
  const offered = new Set(tools.map((t) => t.name));
  const has = (...names: string[]) => names.every((n) => offered.has(n));
  const { userArg, stageArg } = argSchemas(moco);
  const forUser = (user: string | undefined) => (user ? ` with user: "${user}"` : "");
  const todayOf = () => config.today ?? localToday();

  if (has("pipeline_summary", "list_leads")) {
    server.registerPrompt(
      "weekly_pipeline_review",
      {
        title: "Weekly pipeline review",
        description: "Forecast per currency, what changed this week, and what is overdue.",
        argsSchema: { user: userArg("Only this sales person's leads, e.g. Nicola Keller") },
      },
      ({ user }) => {
        const today = todayOf();
        const month = today.slice(0, 7);
        const later = addDays(`${month}-01`, 62).slice(0, 7);
        const who = user ? ` for ${user}` : "";
        return text(
          `Give me a weekly pipeline review${who} (today is ${today}). Use the MOCO tools:\n` +
            `1. pipeline_summary with group_by "user" — totals, weighted value and stages per currency. Then pipeline_summary with group_by "month", month_basis "reminder_date", from "${month}", to "${later}" for what is due when.\n` +
            (has("lead_changes")
              ? `2. lead_changes with since "${addDays(today, -7)}"${user ? ` and filter {"user": "${user}"}` : ""} — what changed in the last 7 days, field by field (it says where its history begins; changes before that are not known).\n`
              : `2. list_leads with updated_after "${addDays(today, -7)}" and sort "updated_at"${forUser(user)} — which leads were created or touched in the last 7 days (this shows that they changed, not what changed).\n`) +
            `3. list_leads with due "overdue"${forUser(user)} — overdue follow-ups.\n` +
            "Report per currency and never add amounts of different currencies. Name the five largest pending leads, leads stuck in an early stage, overdue reminders, and what changed as far as the tools show it. If a tool says its answer is incomplete, say so. End with three concrete actions for this week.",
        );
      },
    );
  }

  if (has("list_leads")) {
    const close = has("update_lead") ? "close them (update_lead status lost or dropped)" : "close them";
    server.registerPrompt(
      "follow_up_plan",
      {
        title: "Follow-up plan for today",
        description: "Today's overdue and due lead follow-ups as a call list, oldest first.",
        argsSchema: {
          user: userArg("Only this sales person's follow-ups, e.g. Nicola Keller"),
        },
      },
      ({ user }) =>
        text(
          `Plan my follow-ups for today, ${todayOf()}. Call list_leads with due "overdue"${forUser(user)}, then with due "today" ` +
            "(add page 2, 3 … while next_page is set). For each lead give one line: company, lead name, value with currency, stage, " +
            "days overdue (due_in_days), and the next concrete step (call, send offer, close as lost). Most overdue first, then largest value. " +
            `Leads overdue more than 30 days: ask whether to ${close} or move the reminder. ` +
            "Change nothing in MOCO without my go-ahead.",
        ),
    );
  }

  // Not in read-only mode: a prompt that ends in a write would only fail.
  if (!has("update_lead", "get_lead", "list_leads")) return;
  const note = (today: string) =>
    has("add_lead_note")
      ? `add_lead_note with the text "${today} Call: <my notes>"`
      : `update_lead with info = the existing info plus a new line "${today} Call: <my notes>" (keep the existing text)`;
  server.registerPrompt(
    "log_call",
    {
      title: "Log a call on a lead",
      description: "Record a sales call on a lead and set its next step: note, reminder, stage.",
      argsSchema: { ...LOG_CALL_ARGS, stage: stageArg },
    },
    async ({ lead, notes, next_reminder, stage }) => {
      const today = todayOf();
      let stageStep = "";
      if (stage) {
        // Resolved here, so the model gets the id update_lead needs instead of a name to look up.
        const all = await stages(moco, callOptions(10_000)).catch(() => []);
        const hit = all.find((s) => fold(s.name) === fold(stage));
        stageStep = hit
          ? `; deal_category_id ${hit.id} (stage "${hit.name}", ${hit.probability} %)`
          : `; stage "${stage}" is not one of MOCO's stage names (${all.map((s) => s.name).join(", ") || "list unavailable"}): ask me which one`;
      }
      const find = /^\d+$/.test(lead.trim())
        ? `get_lead with id ${lead.trim()}`
        : `list_leads with query "${lead}" (if several leads match, show them and ask me which one), then get_lead`;
      return text(
        `I just had a call about the lead "${lead}". My notes:\n${notes}\n\n` +
          `1. Find the lead: ${find}.\n` +
          `2. Record the call: ${note(today)}.\n` +
          `3. update_lead: reminder_date ${next_reminder ? `"${next_reminder}"` : "= a sensible next follow-up date you propose and I confirm"}` +
          `${stageStep}.\n` +
          "4. Tell me exactly what changed, and any warning MOCO's answer gives.",
      );
    },
  );
}
