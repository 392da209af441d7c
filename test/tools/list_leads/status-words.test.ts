import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../../support/harness.js";

/**
 * MOCO's interface names lead statuses in words users repeat ("laufend", "verloren", "abgesagt"); the
 * status field maps them to the API's values, and a reply that used `open` says what it took in.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-11-25" } });
});
afterAll(() => h.close());

const statusDescription = async (tool: string) => {
  const { tools } = await h.client.listTools();
  const props = tools.find((t) => t.name === tool)?.inputSchema.properties as Record<
    string,
    { description?: string }
  >;
  return props.status?.description ?? "";
};

describe("status words", () => {
  it.each([
    ["pending", "Laufende"],
    ["potential", "Kontaktpotential"],
    ["won", "Gewonnen"],
    ["lost", "Verloren"],
    ["dropped", "Abgesagt/verworfen"],
    ["open", "pending+potential"],
  ])("the status field maps %s to MOCO's word %s", async (status, word) => {
    for (const tool of ["list_leads", "pipeline_summary"]) {
      expect(await statusDescription(tool)).toContain(`${status}=${word}`);
    }
  });

  it("says that a user's 'offen' is ambiguous, and who cancelled for lost and dropped", async () => {
    const description = await statusDescription("list_leads");
    expect(description).toContain("open=pending+potential ('offen' is ambiguous)");
    expect(description).toMatch(/lost=Verloren \(client cancelled\)/);
    expect(description).toMatch(/dropped=Abgesagt\/verworfen \(we cancelled\)/);
  });

  it("a list with status open says which statuses it took", async () => {
    const r = await h.call("list_leads", { status: "open", per_page: 1 });
    expect(text(r)).toContain("status open = pending + potential (not won, lost, dropped)");
  });

  it("a follow-up list says it counts open leads only", async () => {
    const r = await h.call("list_leads", { due: "overdue", per_page: 1 });
    expect(text(r)).toContain("follow-ups of open leads only (pending + potential)");
  });

  it("docs cite MOCO's help pages for the words", () => {
    const doc = readFileSync(new URL("../../../docs/insight.md", import.meta.url), "utf8");
    expect(doc).toContain("## Status words");
    expect(doc).toContain("https://www.mocoapp.com/funktionen/6-akquise-leads/inhalt/127-leads-abschliessen");
    expect(doc).toContain("https://www.mocoapp.com/en/features/6-leads/content/29-general");
  });
});
