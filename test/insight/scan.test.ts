import { type CallToolResult, ProgressNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanLeads } from "../../src/moco/scan.js";
import { type Harness, startHarness, text } from "../support/harness.js";
import { sc } from "./raw.js";

let h: Harness;
beforeAll(async () => {
  // 264 seeded leads are 3 pages of 100; a cap of 2 pages cuts every full scan short.
  h = await startHarness({ sandbox: { today: "2026-11-25" }, config: { maxScanPages: 2 } });
  await h.client.listTools();
});
afterAll(() => h.close());

describe("honest scan reporting at the page cap", () => {
  it("pipeline_summary says it is incomplete, with the counts it has", async () => {
    const before = h.sandbox.requests.length;
    const r = await h.call("pipeline_summary", {});
    expect(r.isError, text(r)).toBeFalsy();
    expect(h.sandbox.requests.length - before).toBe(2);
    const total = h.sandbox.store.deals.length;
    expect(sc(r)).toMatchObject({ complete: false, scanned: 200, total });
    const counted = sc(r).currencies.reduce((a: number, c: { count: number }) => a + c.count, 0);
    expect(counted).toBe(200);
    expect(text(r)).toMatch(
      new RegExp(`INCOMPLETE: scanned 200 of ${total} matching leads.*page cap \\(2 pages`),
    );
  });

  it("a search says so too, while a narrower MOCO filter completes within the cap", async () => {
    const r = await h.call("list_leads", { query: "relaunch" });
    expect(sc(r)).toMatchObject({ complete: false, scanned: 200 });
    expect(text(r)).toMatch(/INCOMPLETE/);
    const narrow = await h.call("list_leads", { status: "won", query: "relaunch" });
    expect(sc(narrow)).toMatchObject({ complete: true });
    expect(text(narrow)).not.toMatch(/INCOMPLETE/);
  });
});

describe("progress notifications", () => {
  it("reach a client that sent a progress token, one per page", async () => {
    const events: { progress: number; total?: number; message?: string }[] = [];
    const r = (await h.client.callTool(
      { name: "pipeline_summary", arguments: { filters: { status: "pending" } } },
      undefined,
      {
        onprogress: (p) => {
          events.push(p);
        },
      },
    )) as CallToolResult;
    expect(r.isError, text(r)).toBeFalsy();
    const pending = h.sandbox.store.deals.filter((d) => d.status === "pending").length;
    const pages = Math.ceil(pending / 100);
    expect(events.map((e) => e.progress)).toEqual(Array.from({ length: pages }, (_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ total: pages, message: `Read ${pending} leads` });
  });

  it("are not sent without a progress token", async () => {
    const own = await startHarness({ config: { maxScanPages: 2 } });
    const events: unknown[] = [];
    // Replaces the client's own progress routing, hence a harness of its own.
    own.client.setNotificationHandler(ProgressNotificationSchema, (n) => {
      events.push(n);
    });
    await own.call("pipeline_summary", {});
    await own.close();
    expect(events).toEqual([]);
  });
});

describe("scanLeads", () => {
  it("stops at the cap, shares it between queries and reports MOCO's totals", async () => {
    const pages: [number, number | undefined][] = [];
    const scan = await scanLeads(h.moco, [{ status: "pending" }, { status: "won" }], {
      maxPages: 2,
      onPage: (done, expected) => {
        pages.push([done, expected]);
      },
    });
    const store = h.sandbox.store.deals;
    const pending = store.filter((d) => d.status === "pending").length;
    const won = store.filter((d) => d.status === "won").length;
    expect(pending).toBeGreaterThan(100); // two pages for pending alone
    expect(scan).toMatchObject({ complete: false, pages: 2, scanned: pending, total: null });
    expect(pages).toEqual([
      [1, 2],
      [2, 2],
    ]);
    const both = await scanLeads(h.moco, [{ status: "pending" }, { status: "won" }], { maxPages: 10 });
    expect(both).toMatchObject({ complete: true, pages: 3, scanned: pending + won, total: pending + won });
  });

  it("respects the caller's signal", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(scanLeads(h.moco, {}, { maxPages: 5, signal: controller.signal })).rejects.toMatchObject({
      kind: "cancelled",
    });
  });
});
