import { afterEach, describe, expect, it } from "vitest";
import type { PageInfo } from "../../src/moco/client.js";
import { nextPage } from "../../src/moco/pages.js";
import { scanLeads } from "../../src/moco/scan.js";
import { leadJson } from "../fixtures/moco.js";
import { clientFor, json, startUpstream, type Upstream } from "../support/upstream.js";
import { mcpOver, textOf } from "./mcp-over.js";

/** MOCO serving fewer leads per page than asked, and pages that X-Total contradicts. */
let upstreams: Upstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
  upstreams = [];
});

const info = (patch: Partial<PageInfo>): PageInfo => ({
  page: null,
  perPage: null,
  total: null,
  nextPage: null,
  ...patch,
});

describe("the next page follows the page size MOCO served", () => {
  it.each([
    ["capped at 50 of 100 asked, X-Total 80", 1, 50, { perPage: 50, total: 80 }, 2],
    ["capped at 50, the last of 230", 5, 30, { perPage: 50, total: 230 }, null],
    ["capped at 50, full page 4 of 230", 4, 50, { perPage: 50, total: 230 }, 5],
    ["capped at 50, no X-Total, a full page", 1, 50, { perPage: 50 }, 2],
    ["an empty page X-Total says should hold leads", 2, 0, { perPage: 100, total: 230 }, 3],
    ["an empty page past X-Total", 4, 0, { perPage: 100, total: 230 }, null],
    ["an empty page without X-Total", 2, 0, { perPage: 100 }, null],
    ["a short page X-Total says more follow, no X-Per-Page (a silent cap)", 1, 50, { total: 99 }, 2],
    ["a short page that reaches X-Total", 2, 49, { total: 99 }, null],
  ] as [string, number, number, Partial<PageInfo>, number | null][])("%s", (_, page, count, h, expected) => {
    expect(nextPage(page, count, info(h), 100)).toBe(expected);
  });
});

/** MOCO's /deals with `total` leads, at most `cap` per page, X-Page/X-Per-Page/X-Total and no Link. */
async function capped(total: number, cap: number, emptyFrom = Number.POSITIVE_INFINITY) {
  const leads = Array.from({ length: total }, (_, i) => leadJson({ id: i + 1, name: `Lead ${i + 1}` }));
  const up = await startUpstream((req, res) => {
    const url = new URL(req.url ?? "", "http://x");
    const page = Number(url.searchParams.get("page") ?? 1);
    const per = Math.min(cap, Number(url.searchParams.get("per_page") ?? 100));
    const slice = page >= emptyFrom ? [] : leads.slice((page - 1) * per, page * per);
    json(res, 200, slice, { "x-page": String(page), "x-per-page": String(per), "x-total": String(total) });
  });
  upstreams.push(up);
  return up;
}

describe("MOCO caps per_page (asked 100, served 50) and sends no Link", () => {
  it("a scan reads every page", async () => {
    const up = await capped(230, 50);
    const moco = clientFor(up.url);
    const scan = await scanLeads(moco, {}, { maxPages: 20 });
    expect(scan).toMatchObject({ scanned: 230, total: 230, complete: true, pages: 5 });
    await moco.close();
  });

  it("list_leads does not call page 1 the last", async () => {
    const up = await capped(80, 50);
    const moco = clientFor(up.url);
    const mcp = await mcpOver(moco, up.url);
    const r = await mcp.call("list_leads", { per_page: 100 });
    expect(textOf(r)).toMatch(/^50 leads of 80 on page 1\. Next: page 2\./);
    expect((r.structuredContent as { next_page: number | null }).next_page).toBe(2);
    await mcp.close();
    await moco.close();
  });

  it("an empty page while X-Total promises more is not called the last page", async () => {
    const up = await capped(230, 100, 2);
    const moco = clientFor(up.url);
    const mcp = await mcpOver(moco, up.url);
    const r = await mcp.call("list_leads", { page: 2, per_page: 100 });
    expect(textOf(r)).not.toMatch(/This is the last page/);
    expect((r.structuredContent as { next_page: number | null }).next_page).toBe(3);
    const scan = await scanLeads(moco, {}, { maxPages: 20 });
    expect(scan).toMatchObject({ scanned: 100, total: 230, complete: false });
    await mcp.close();
    await moco.close();
  });
});

describe("MOCO caps per_page without saying so (no X-Per-Page, no Link; X-Total only)", () => {
  /** /deals with `total` leads, at most `cap` per page, offsets by the cap, X-Total alone. */
  async function silent(total: number, cap: number) {
    const leads = Array.from({ length: total }, (_, i) => leadJson({ id: i + 1, name: `Lead ${i + 1}` }));
    const up = await startUpstream((req, res) => {
      const page = Number(new URL(req.url ?? "", "http://x").searchParams.get("page") ?? 1);
      json(res, 200, leads.slice((page - 1) * cap, page * cap), { "x-total": String(total) });
    });
    upstreams.push(up);
    return up;
  }

  it("list_leads offers the next page instead of calling a short page 1 the last", async () => {
    const up = await silent(99, 50);
    const moco = clientFor(up.url);
    const mcp = await mcpOver(moco, up.url);
    const first = await mcp.call("list_leads", { per_page: 100 });
    expect(textOf(first)).toMatch(/^50 leads of 99 on page 1\. Next: page 2\./);
    const second = await mcp.call("list_leads", { per_page: 100, page: 2 });
    expect((second.structuredContent as { leads: unknown[] }).leads).toHaveLength(49);
    expect((second.structuredContent as { next_page: number | null }).next_page).toBeNull();
    await mcp.close();
    await moco.close();
  });
});
