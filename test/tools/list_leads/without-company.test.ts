import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

/** Leads without a company (or without a contact person): a filter of their own, said in the reply. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-11-25" } });
});
afterAll(() => h.close());

const ids = (r: Awaited<ReturnType<Harness["call"]>>) =>
  (sc(r).leads as { id: number }[]).map((l) => l.id).sort((a, b) => a - b);

describe("has_company and has_person", () => {
  it("has_company false lists exactly the leads without a company, and says so", async () => {
    const expected = h.sandbox.store.deals
      .filter((d) => !d.company_id)
      .map((d) => d.id)
      .sort((a, b) => a - b);
    expect(expected.length).toBeGreaterThan(0);
    const r = await h.call("list_leads", { has_company: false, per_page: 100 });
    expect(r.isError, text(r)).toBeFalsy();
    expect(ids(r)).toEqual(expected);
    expect(text(r)).toContain("Understood: without a company");
  });

  it("has_person false with has_company true: a company but no contact person", async () => {
    const expected = h.sandbox.store.deals
      .filter((d) => d.company_id && !d.person_id)
      .map((d) => d.id)
      .sort((a, b) => a - b);
    const r = await h.call("list_leads", { has_company: true, has_person: false, per_page: 100 });
    expect(r.isError, text(r)).toBeFalsy();
    expect(ids(r)).toEqual(expected);
    expect(text(r)).toContain("with a company; without a contact person");
  });

  it("the filter is described in tools/list with its meaning", async () => {
    const { tools } = await h.client.listTools();
    const props = tools.find((t) => t.name === "list_leads")?.inputSchema.properties as Record<
      string,
      unknown
    >;
    expect(props.has_company).toEqual({ type: "boolean", description: "false: none" });
    expect(props.has_person).toEqual({ type: "boolean", description: "false: none" });
  });
});
