import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../../support/harness.js";
import { type Json, summary } from "./support.js";

/** The counts over all currencies in the structured data and its output schema; the existing fields unchanged. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-12-01" } });
});
afterAll(() => h.close());

const sumOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("pipeline_summary structured data: counts over all currencies", () => {
  it("all_currencies adds up each currency's counts: leads, by status, pending by stage, groups", async () => {
    const { data } = await summary(h, { group_by: "user" });
    const currencies = data.currencies as Json[];
    expect(currencies.length).toBeGreaterThan(1);
    const all = data.all_currencies as Json;
    expect(all.count).toBe(sumOf(currencies.map((c) => c.count)));
    for (const [status, s] of Object.entries(all.by_status as Record<string, Json>)) {
      expect(s.count, status).toBe(sumOf(currencies.map((c) => c.by_status[status]?.count ?? 0)));
      for (const c of currencies)
        expect(s.by_currency[c.currency] ?? 0).toBe(c.by_status[status]?.count ?? 0);
    }
    for (const st of all.by_stage as Json[]) {
      const per = currencies.map((c) => (c.by_stage as Json[]).find((x) => x.stage === st.stage)?.count ?? 0);
      expect(st.count, st.stage).toBe(sumOf(per));
    }
    for (const g of all.groups as Json[]) {
      const per = currencies.map((c) => (c.groups as Json[]).find((x) => x.key === g.key)?.count ?? 0);
      expect(g.count, g.key).toBe(sumOf(per));
    }
    const counts = (all.groups as Json[]).map((g) => g.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it("keeps every existing field of a currency as it was", async () => {
    const { data } = await summary(h, { group_by: "stage" });
    for (const c of data.currencies as Json[]) {
      expect(Object.keys(c)).toEqual([
        "currency",
        "count",
        "total",
        "weighted",
        "by_status",
        ...(c.by_stage ? ["by_stage"] : []),
        "groups",
        ...(c.top_pending ? ["top_pending"] : []),
      ]);
      for (const g of c.groups as Json[])
        expect(Object.keys(g)).toEqual(["key", "count", "total", "weighted"]);
    }
    expect(data).toHaveProperty("undated");
    expect(data).toHaveProperty("complete", true);
  });

  it("declares all_currencies in the output schema", async () => {
    const { tools } = await h.client.listTools();
    const schema = tools.find((t) => t.name === "pipeline_summary")?.outputSchema as Json;
    expect(schema.properties.all_currencies).toMatchObject({ type: "object" });
    expect(schema.properties.all_currencies.description).toMatch(/never money/);
  });

  it("moco://pipeline/summary carries the counts over all currencies too", async () => {
    const read = await h.client.readResource({ uri: "moco://pipeline/summary" });
    const body = JSON.parse((read.contents[0] as { text: string }).text) as Json;
    expect(body.all_currencies.count).toBe(sumOf((body.currencies as Json[]).map((c) => c.count)));
  });
});
