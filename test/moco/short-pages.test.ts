import { afterEach, describe, expect, it } from "vitest";
import { MirrorRegistry } from "../../src/leads/mirror/index.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { openStore } from "../../src/store/index.js";
import { sc, text } from "../support/harness.js";
import { clientFor, json, startUpstream } from "../support/upstream.js";
import { mcpOver } from "./mcp-over.js";

/**
 * A MOCO whose pages do not add up to its own count (X-Total), which no page rule can repair: from
 * page 2 on it sends empty pages while X-Total still counts every lead, or its X-Total counts fewer
 * leads than its pages hold. Neither a live scan nor the lead mirror may call such a read complete,
 * and the note must name the cause, not the page cap.
 */
const KEY = "short-pages-key-3e9b1c";
const LEADS = 230;

interface Quirks {
  /** Pages from this one on come back empty (X-Total unchanged). */
  emptyFrom?: number;
  /** X-Total claims this much more (or, negative, fewer) than the leads that match. */
  totalOff?: number;
}

const lead = (id: number) => ({
  id,
  name: `Lead ${id}`,
  status: "pending",
  money: 1000,
  currency: "EUR",
  tags: [],
  custom_properties: {},
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
});

async function quirkyMoco(quirks: Quirks) {
  const all = Array.from({ length: LEADS }, (_, i) => lead(i + 1));
  return startUpstream((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (!url.pathname.endsWith("/deals")) return json(res, 200, [], { "x-total": "0" });
    const q = url.searchParams;
    const page = Number(q.get("page") ?? 1);
    const perPage = Math.min(100, Number(q.get("per_page") ?? 100));
    const after = q.get("updated_after");
    const ids = q.get("ids")?.split(",").map(Number);
    const matching = all.filter(
      (l) => (after === null || Date.parse(l.updated_at) > Date.parse(after)) && (!ids || ids.includes(l.id)),
    );
    const slice =
      quirks.emptyFrom !== undefined && page >= quirks.emptyFrom
        ? []
        : matching.slice((page - 1) * perPage, page * perPage);
    const total = Math.max(0, matching.length + (quirks.totalOff ?? 0));
    json(res, 200, slice, { "x-total": String(total) });
  });
}

/** The real server over that MOCO, with or without the lead mirror (in-memory store). */
async function serverOver(quirks: Quirks, mirror: boolean, extraEnv: Record<string, string> = {}) {
  const moco = await quirkyMoco(quirks);
  const client = clientFor(moco.url, {
    apiKey: KEY,
    userAgent: "moco-leads-mcp-test",
    budget: new RateLimiter({ limit: 10_000, windowMs: 120_000 }),
    maxRetries: 0,
  });
  const store = mirror ? await openStore({ kind: "memory" }) : undefined;
  const registry = store && new MirrorRegistry({ store });
  const mcp = await mcpOver(client, moco.url, {
    env: { MOCO_API_KEY: KEY, ...extraEnv },
    mirrors: registry && (async () => registry),
  });
  return {
    call: mcp.call,
    async close() {
      await mcp.close();
      registry?.close();
      await store?.close();
      await client.close();
      await moco.close();
    },
  };
}

let env: Awaited<ReturnType<typeof serverOver>> | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe("MOCO's pages short of its own count", () => {
  it("the mirror does not call a copy short of X-Total complete: it says how many are missing", async () => {
    env = await serverOver({ emptyFrom: 2 }, true);
    const summary = await env.call("pipeline_summary", {});
    expect(sc(summary)).toMatchObject({ complete: false, scanned: 100 });
    expect(text(summary)).toContain("INCOMPLETE: from the lead mirror as of");
    expect(text(summary)).toContain(
      "the mirror holds only 100 of the 230 leads MOCO counts (X-Total): 130 are missing",
    );
    // A search from the same mirror, warm or not, says so too.
    const search = await env.call("list_leads", { query: "Lead" });
    expect(sc(search).complete).toBe(false);
    expect(text(search)).toContain("130 are missing");
    expect(text(search)).not.toContain("Complete");
  });

  it("the mirror does not call a copy larger than X-Total complete either", async () => {
    env = await serverOver({ totalOff: -40 }, true);
    const summary = await env.call("pipeline_summary", {});
    expect(sc(summary).complete).toBe(false);
    expect(text(summary)).toMatch(/the mirror holds \d+ leads, more than the 190 MOCO counts/);
  });

  it("a live scan names MOCO's short pages as the cause, not the page cap, with its own next step", async () => {
    env = await serverOver({ emptyFrom: 2 }, false);
    const summary = await env.call("pipeline_summary", {});
    const note = text(summary);
    expect(sc(summary)).toMatchObject({ complete: false, scanned: 100, selected: 230 });
    expect(note).toContain("MOCO counts 230 leads for this selection (X-Total) and its pages held only 100");
    expect(note).toContain("so not the page cap");
    expect(note).toContain("130 are missing");
    expect(note).not.toContain("before the page cap");
    expect(note).not.toContain("turn the lead mirror on");
  });

  it("a live scan that reached the page cap still says so, with its own next step", async () => {
    // MOCO_MAX_SCAN_PAGES=2: 230 leads need 3 pages.
    env = await serverOver({}, false, { MOCO_MAX_SCAN_PAGES: "2" });
    const r = await env.call("pipeline_summary", {});
    expect(sc(r)).toMatchObject({ complete: false, scanned: 200 });
    expect(text(r)).toContain(
      "INCOMPLETE: only 200 of the 230 leads MOCO selected were read before the page cap (2 pages of 100",
    );
    expect(text(r)).toContain("turn the lead mirror on");
  });
});
