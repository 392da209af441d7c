import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerPrompts } from "../../src/mcp/prompts.js";
import { ALL_TOOLS } from "../../src/tools/index.js";
import { type Harness, startHarness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-11-25" } });
});
afterAll(() => h.close());

const body = (r: ReadResourceResult) => {
  const first = r.contents[0];
  return JSON.parse(first && "text" in first ? first.text : "null");
};
const promptText = (r: { messages: { content: { type: string; text?: string } }[] }) =>
  r.messages.map((m) => m.content.text ?? "").join("\n");

describe("resources", () => {
  it("lists the stages and the summary, and the lead template without listing every lead", async () => {
    const { resources } = await h.client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(["moco://pipeline/summary", "moco://stages"]);
    const { resourceTemplates } = await h.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(["moco://leads/{id}"]);
  });

  it("reads a lead as MOCO's JSON", async () => {
    const lead = h.sandbox.store.deals[5];
    const r = await h.client.readResource({ uri: `moco://leads/${lead?.id}` });
    expect(r.contents[0]?.mimeType).toBe("application/json");
    expect(body(r)).toMatchObject({ id: lead?.id, name: lead?.name, money: lead?.money });
  });

  it("says when a lead does not exist, with the next step", async () => {
    await expect(h.client.readResource({ uri: "moco://leads/99999999" })).rejects.toThrow(
      /Lead 99999999 does not exist.*list_leads/,
    );
    await expect(h.client.readResource({ uri: "moco://leads/abc" })).rejects.toThrow(/not a lead id/);
  });

  it("reads the stages with their probabilities, in pipeline order", async () => {
    const stages = body(await h.client.readResource({ uri: "moco://stages" }));
    const expected = [...h.sandbox.store.categories]
      .sort((a, b) => a.probability - b.probability)
      .map(({ id, name, probability }) => ({ id, name, probability }));
    expect(stages).toEqual(expected);
  });

  it("reads the pipeline summary per currency", async () => {
    const summary = body(await h.client.readResource({ uri: "moco://pipeline/summary" }));
    const chf = h.sandbox.store.deals.filter((d) => d.currency === "CHF");
    const c = summary.currencies.find((x: { currency: string }) => x.currency === "CHF");
    expect(c.count).toBe(chf.length);
    expect(c.total).toBeCloseTo(
      chf.reduce((a, d) => a + d.money, 0),
      2,
    );
    expect(c.top_pending).toHaveLength(5);
    expect(summary.complete).toBe(true);
  });
});

describe("prompts", () => {
  it("offers the three menu entries", async () => {
    const { prompts } = await h.client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual([
      "follow_up_plan",
      "log_call",
      "weekly_pipeline_review",
    ]);
    const log = prompts.find((p) => p.name === "log_call");
    expect(log?.arguments?.map((a) => [a.name, a.required])).toEqual([
      ["lead", true],
      ["notes", true],
      ["next_reminder", false],
      ["stage", false],
    ]);
  });

  it("phrase the work as calls of this server's tools", async () => {
    const review = promptText(
      await h.client.getPrompt({ name: "weekly_pipeline_review", arguments: { user: "Nicola Keller" } }),
    );
    expect(review).toMatch(/pipeline_summary with group_by "user"/);
    // What changed: field by field from the history where the server has it, else only which leads changed.
    const names = (await h.client.listTools()).tools.map((t) => t.name);
    expect(review).toMatch(
      names.includes("lead_changes")
        ? /lead_changes with since "\d{4}-\d\d-\d\d" and filter \{"user": "Nicola Keller"\}/
        : /list_leads with updated_after "\d{4}-\d\d-\d\d" and sort "updated_at" with user: "Nicola Keller" — which leads were created or touched .*not what changed/,
    );
    expect(review).toMatch(/never add amounts of different currencies/);
    const plan = promptText(await h.client.getPrompt({ name: "follow_up_plan", arguments: {} }));
    expect(plan).toMatch(/list_leads with due "overdue", then with due "today"/);
    expect(plan).not.toMatch(/with user/);
  });

  it("log_call resolves the stage to the id update_lead needs", async () => {
    const stage = h.sandbox.store.categories.find((c) => c.name === "Verhandlungen");
    const r = await h.client.getPrompt({
      name: "log_call",
      arguments: {
        lead: "Beispiel AG",
        notes: "Budget confirmed",
        stage: "verhandlungen",
        next_reminder: "2026-12-01",
      },
    });
    const t = promptText(r);
    expect(t).toContain(`deal_category_id ${stage?.id}`);
    expect(t).toMatch(/list_leads with query "Beispiel AG"/);
    expect(t).toMatch(/reminder_date "2026-12-01"/);
    expect(t).toMatch(/Record the call: (add_lead_note|update_lead)/);
    const unknown = promptText(
      await h.client.getPrompt({ name: "log_call", arguments: { lead: "4711", notes: "x", stage: "Won" } }),
    );
    expect(unknown).toMatch(/get_lead with id 4711/);
    expect(unknown).toMatch(/"Won" is not one of MOCO's stage names/);
  });
});

describe("completion", () => {
  const complete = async (prompt: string, argument: string, value: string) =>
    (
      await h.client.complete({
        ref: { type: "ref/prompt", name: prompt },
        argument: { name: argument, value },
      })
    ).completion.values;

  it("completes stage names, case and accents aside", async () => {
    expect(await complete("log_call", "stage", "ang")).toEqual(["Angebot erstellen", "Angebot verschickt"]);
    expect(await complete("log_call", "stage", "mund")).toEqual(["Mündliche Zusage"]);
    expect(await complete("log_call", "stage", "")).toHaveLength(h.sandbox.store.categories.length);
  });

  it("completes active users' names", async () => {
    expect(await complete("weekly_pipeline_review", "user", "ni")).toEqual(["Nicola Keller"]);
    expect(await complete("follow_up_plan", "user", "kel")).toEqual(["Nicola Keller"]);
    // Sophie Dubois is archived: not someone to plan calls for.
    expect(await complete("follow_up_plan", "user", "sophie")).toEqual([]);
  });

  it("fetches the lists once per cache period, not per keystroke", async () => {
    const before = h.sandbox.requests.length;
    for (const value of ["a", "an", "ang"]) await complete("log_call", "stage", value);
    // At most the first keystroke reads the stages (unless an earlier test already did); the rest are cached.
    expect(h.sandbox.requests.length - before).toBeLessThanOrEqual(1);
    const warm = h.sandbox.requests.length;
    for (const value of ["v", "ve", "ver"]) await complete("log_call", "stage", value);
    expect(h.sandbox.requests.length).toBe(warm);
  });
});

describe("prompts follow the tools the server offers", () => {
  /** The prompts a server offers when registerPrompts is given exactly these tools. */
  async function promptsWith(names: string[]) {
    const server = new McpServer({ name: "t", version: "0" });
    registerPrompts(
      server,
      { moco: h.moco, config: h.config },
      ALL_TOOLS.filter((t) => names.includes(t.name)),
    );
    const client = new Client({ name: "t", version: "0" });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(a), client.connect(b)]);
    // A server with no prompt at all does not declare the capability.
    const offered = client.getServerCapabilities()?.prompts !== undefined;
    const { prompts } = offered ? await client.listPrompts() : { prompts: [] };
    const texts = await Promise.all(
      prompts.map(async (p) =>
        promptText(
          await client.getPrompt({
            name: p.name,
            arguments: p.name === "log_call" ? { lead: "Beispiel AG", notes: "x" } : {},
          }),
        ),
      ),
    );
    await client.close();
    await server.close();
    return { names: prompts.map((p) => p.name).sort(), text: texts.join("\n") };
  }

  it("takes the tool list it is given over the config's selection, and names only those tools", async () => {
    // The harness config offers every tool; the list passed in wins.
    const reads = await promptsWith(["list_leads", "get_lead", "pipeline_summary"]);
    expect(reads.names).toEqual(["follow_up_plan", "weekly_pipeline_review"]);
    expect(reads.text).not.toMatch(/update_lead|add_lead_note/);
    expect((await promptsWith(["list_leads"])).names).toEqual(["follow_up_plan"]);
    expect((await promptsWith(["get_lead", "create_lead"])).names).toEqual([]);
    const noNotes = await promptsWith(["list_leads", "get_lead", "update_lead"]);
    expect(noNotes.names).toEqual(["follow_up_plan", "log_call"]);
    expect(noNotes.text).toMatch(/update_lead with info = the existing info/);
    expect(noNotes.text).not.toMatch(/add_lead_note|pipeline_summary/);
  });
});

describe("read-only mode", () => {
  it("drops the prompt that ends in a write", async () => {
    const ro = await startHarness({ env: { MOCO_READ_ONLY: "true" } });
    const { prompts } = await ro.client.listPrompts();
    await ro.close();
    expect(prompts.map((p) => p.name).sort()).toEqual(["follow_up_plan", "weekly_pipeline_review"]);
  });

  it("completes only the key's own user when MOCO refuses the user list (no Staff permission)", async () => {
    const ns = await startHarness({ sandbox: { staff: false } });
    const complete = async (value: string) =>
      (
        await ns.client.complete({
          ref: { type: "ref/prompt", name: "follow_up_plan" },
          argument: { name: "user", value },
        })
      ).completion.values;
    try {
      expect(await complete("ni")).toEqual([]);
      expect(await complete("an")).toEqual(["Anna Schmid"]);
    } finally {
      await ns.close();
    }
  });
});
