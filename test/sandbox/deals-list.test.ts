import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { allPages, call, TODAY } from "./helpers.js";

describe("GET /deals filters", () => {
  let sb: Sandbox;
  const ids = (items: Record<string, unknown>[]) => items.map((d) => d.id);
  const storeIds = (keep: (d: Sandbox["store"]["deals"][number]) => boolean) =>
    sb.store.deals.filter(keep).map((d) => d.id);

  beforeAll(async () => {
    sb = await startSandbox({ today: TODAY });
  });
  afterAll(() => sb.close());

  it("filters by status", async () => {
    for (const status of ["pending", "potential", "won", "lost", "dropped"]) {
      const found = await allPages(sb, `/deals?status=${status}`);
      expect(found.length, status).toBeGreaterThan(0);
      expect(ids(found)).toEqual(storeIds((d) => d.status === status));
    }
  });

  it("answers an invalid status with 400 and MOCO's error body", async () => {
    const answer = await call(sb, "GET", "/deals?status=foo");
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: "'foo' is not a valid status" });
  });

  it("filters by tags: comma-separated, spaces trimmed, a lead with ANY of them matches", async () => {
    const found = await allPages(sb, `/deals?tags=${encodeURIComponent("Wichtig , Retainer")}`);
    const expected = storeIds((d) => d.tags.includes("Wichtig") || d.tags.includes("Retainer"));
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(found)).toEqual(expected);
  });

  it("filters by company_id", async () => {
    const company = sb.store.companies.find((c) => c.name === "Beispiel AG");
    const found = await allPages(sb, `/deals?company_id=${company?.id}`);
    expect(found.length).toBeGreaterThan(0);
    expect(ids(found)).toEqual(storeIds((d) => d.company_id === company?.id));
    for (const lead of found)
      expect(lead.company).toEqual({ id: company?.id, type: "customer", name: "Beispiel AG" });
  });

  it("filters by an inclusive closed_from/closed_to range and drops leads never closed", async () => {
    const from = "2025-12-01";
    const to = "2026-01-31";
    const found = await allPages(sb, `/deals?closed_from=${from}&closed_to=${to}`);
    const expected = storeIds((d) => d.closed_on !== "" && d.closed_on >= from && d.closed_on <= to);
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(found)).toEqual(expected);
    const onlyFrom = await allPages(sb, `/deals?closed_from=${from}`);
    expect(onlyFrom.every((d) => typeof d.closed_on === "string" && d.closed_on >= from)).toBe(true);
    const closedOn = String(found[0]?.closed_on);
    const exact = await allPages(sb, `/deals?closed_from=${closedOn}&closed_to=${closedOn}`);
    expect(ids(exact)).toContain(found[0]?.id);
  });

  it("filters by ids", async () => {
    const found = await allPages(sb, "/deals?ids=388105,388101,999");
    expect(ids(found)).toEqual([388101, 388105]);
  });

  it("filters by updated_after, strictly after", async () => {
    const sorted = [...sb.store.deals].sort((a, b) => a.updated_at.localeCompare(b.updated_at));
    const pivot = sorted[sorted.length - 10]?.updated_at ?? "";
    const found = await allPages(sb, `/deals?updated_after=${pivot}`);
    expect(ids(found)).toEqual(storeIds((d) => d.updated_at > pivot));
    expect(found.length).toBeLessThan(10);
  });

  it("filters by a Select custom property (exact match)", async () => {
    const found = await allPages(sb, `/deals?${encodeURIComponent("custom_properties[Quelle]")}=Messe`);
    const expected = storeIds((d) => d.custom_properties.Quelle === "Messe");
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(found)).toEqual(expected);
  });

  it("filters by MultiSelect values: all given values must be present", async () => {
    const key = encodeURIComponent("custom_properties[Leistungen][]");
    const found = await allPages(sb, `/deals?${key}=Design&${key}=Hosting`);
    const has = (d: Sandbox["store"]["deals"][number], v: string) =>
      Array.isArray(d.custom_properties.Leistungen) && d.custom_properties.Leistungen.includes(v);
    const expected = storeIds((d) => has(d, "Design") && has(d, "Hosting"));
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(found)).toEqual(expected);
  });

  it("filters booleans given as true/false", async () => {
    const found = await allPages(sb, `/deals?${encodeURIComponent("custom_properties[Rahmenvertrag]")}=true`);
    expect(ids(found)).toEqual(storeIds((d) => d.custom_properties.Rahmenvertrag === "1"));
  });

  it("answers an unknown custom property name with an empty list, not an error", async () => {
    const answer = await call(sb, "GET", `/deals?${encodeURIComponent("custom_properties[Gibtsnicht]")}=x`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual([]);
    expect(answer.headers["x-total"]).toBe("0");
  });

  it("combines filters", async () => {
    const found = await allPages(sb, "/deals?status=won&tags=Strategisch");
    expect(ids(found)).toEqual(storeIds((d) => d.status === "won" && d.tags.includes("Strategisch")));
  });
});
