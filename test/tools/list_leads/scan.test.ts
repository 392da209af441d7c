import { type CallToolResult, ProgressNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanLeads } from "../../../src/moco/scan.js";
import { type Harness, startHarness, text } from "../../support/harness.js";
import { sc } from "../../support/sandbox-raw.js";
import { clientFor, json, lead, startUpstream } from "../../support/upstream.js";

let h: Harness;
beforeAll(async () => {
  // 264 seeded leads are 3 pages of 100; a cap of 2 pages cuts every full scan short.
  h = await startHarness({ sandbox: { today: "2026-11-25" }, config: { maxScanPages: 2 } });
});
afterAll(() => h.close());

describe("honest scan reporting at the page cap", () => {
  it("pipeline_summary says it is incomplete, with the counts it has", async () => {
    const before = h.sandbox.requests.length;
    const r = await h.call("pipeline_summary", {});
    expect(r.isError, text(r)).toBeFalsy();
    expect(h.sandbox.requests.length - before).toBe(2);
    const total = h.sandbox.store.deals.length;
    expect(sc(r)).toMatchObject({ complete: false, scanned: 200, matched: 200, selected: total });
    const counted = sc(r).currencies.reduce((a: number, c: { count: number }) => a + c.count, 0);
    expect(counted).toBe(200);
    expect(text(r)).toMatch(
      new RegExp(
        `INCOMPLETE: only 200 of the ${total} leads MOCO selected were read before the page cap \\(2 pages`,
      ),
    );
  });

  it("a search says so too, while a narrower MOCO filter completes within the cap", async () => {
    const r = await h.call("list_leads", { query: "relaunch" });
    expect(sc(r)).toMatchObject({ complete: false, scanned: 200 });
    expect(text(r)).toMatch(/INCOMPLETE/);
    // The matches among the scanned leads are a lower bound, and their last page is not the last one.
    const last = await h.call("list_leads", { query: "relaunch", per_page: 100 });
    expect(sc(last)).toMatchObject({ complete: false, next_page: null });
    expect(text(last)).toMatch(
      new RegExp(`of at least ${sc(last).total} \\(the matches among the leads read\\)`),
    );
    expect(text(last)).toMatch(/more leads may match beyond the scan/);
    expect(text(last)).not.toMatch(/This is the last page/);
    const narrow = await h.call("list_leads", { status: "won", query: "relaunch" });
    expect(sc(narrow)).toMatchObject({ complete: true });
    expect(text(narrow)).not.toMatch(/INCOMPLETE/);
  });
});

describe("progress notifications", () => {
  it("reach a client that sent a progress token, one per page", async () => {
    const events: { progress: number; total?: number; message?: string }[] = [];
    const r = (await h.client.callTool(
      { name: "pipeline_summary", arguments: { status: "pending" } },
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

/**
 * A stand-in for MOCO over real TCP that sends X-Total but neither Link nor X-Page nor X-Per-Page,
 * which the sandbox never does. `total` is what X-Total claims; `count` leads exist.
 */
async function headerlessMoco(count: number, total: number) {
  const pages: number[] = [];
  const upstream = await startUpstream((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const page = Number(url.searchParams.get("page") ?? 1);
    const perPage = Number(url.searchParams.get("per_page") ?? 100);
    pages.push(page);
    const ids = Array.from({ length: count }, (_, i) => i + 1).slice((page - 1) * perPage, page * perPage);
    const leads = ids.map((id) =>
      lead({
        id,
        name: `Lead ${id}`,
        currency: "EUR",
        created_at: "2026-01-01T00:00:00Z",
        updated_at: "2026-01-01T00:00:00Z",
      }),
    );
    json(res, 200, leads, { "x-total": String(total) });
  });
  const moco = clientFor(upstream.url, {
    apiKey: "stub-key",
    userAgent: "moco-leads-mcp-test",
    maxRetries: 0,
  });
  return {
    moco,
    pages,
    async close() {
      await moco.close();
      await upstream.close();
    },
  };
}

describe("scanLeads against a MOCO that sends X-Total without paging headers", () => {
  it("keeps reading while page × 100 is below X-Total, and is complete when all arrived", async () => {
    const stub = await headerlessMoco(250, 250);
    try {
      const scan = await scanLeads(stub.moco, {}, { maxPages: 10 });
      expect(stub.pages).toEqual([1, 2, 3]);
      expect(scan).toMatchObject({ scanned: 250, total: 250, complete: true, pages: 3 });
    } finally {
      await stub.close();
    }
  });

  it("is not complete when fewer leads arrived than X-Total counts", async () => {
    const stub = await headerlessMoco(250, 260);
    try {
      const scan = await scanLeads(stub.moco, {}, { maxPages: 10 });
      // The short page 3 is followed once more (MOCO may cap per_page without saying so); the
      // empty page 4 ends the read, and the count check says what is missing.
      expect(stub.pages).toEqual([1, 2, 3, 4]);
      expect(scan).toMatchObject({ scanned: 250, total: 260, complete: false });
    } finally {
      await stub.close();
    }
  });
});
