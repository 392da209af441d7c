import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { changesBetween, warningsFor } from "../../src/leads/verify.js";
import type { PendingWrite } from "../../src/moco/client.js";
import { MocoError } from "../../src/moco/errors.js";
import { parseLead, updateLead } from "../../src/moco/leads.js";
import { leadJson } from "../fixtures/moco.js";
import { clientFor, json, startUpstream, type Upstream } from "../support/upstream.js";
import { mcpOver, textOf } from "./mcp-over.js";

/**
 * MOCO answering a write with a 2xx this server cannot read (empty, HTML, 204), or with a lead that
 * lacks fields: the write was carried out, so the answer must never read as a failure to retry.
 */
let upstreams: Upstream[] = [];
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers) await close();
  await Promise.all(upstreams.map((u) => u.close()));
  upstreams = [];
  closers = [];
});

const USER = { id: 10, firstname: "Nicola", lastname: "Keller", email: "n@example.ch", active: true };
const STAGE = { id: 30, name: "Kontaktieren", probability: 1 };
type Reply = (res: ServerResponse, stored: Record<string, unknown>) => void;

/** A MOCO stand-in holding leads that carries out every write, then answers it with `reply`. */
async function standIn(reply: { post?: Reply; put?: Reply; comment?: Reply; hide?: string[] }) {
  const deals = new Map<number, Record<string, unknown>>([[1, leadJson({ id: 1, name: "Relaunch" })]]);
  // Keys this MOCO never sends in a lead (the server must treat them as unknown, not as empty).
  const shown = (lead: Record<string, unknown> | undefined) =>
    lead && Object.fromEntries(Object.entries(lead).filter(([k]) => !reply.hide?.includes(k)));
  const comments: unknown[] = [];
  let next = 100;
  const up = await startUpstream((req: IncomingMessage, res, body) => {
    const path = (req.url ?? "").replace(/^\/api\/v1/, "").split("?")[0] ?? "";
    const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const one = path.match(/^\/deals\/(\d+)$/);
    if (req.method === "GET" && path === "/profile")
      return json(res, 200, { id: 10, full_name: "Nicola Keller" });
    if (req.method === "GET" && path === "/users") return json(res, 200, [USER]);
    if (req.method === "GET" && path === "/deal_categories") return json(res, 200, [STAGE]);
    if (req.method === "GET" && (path === "/tags" || path === "/account/custom_properties"))
      return json(res, 200, []);
    if (req.method === "GET" && path === "/deals")
      return json(res, 200, [...deals.values()].map(shown), { "x-total": String(deals.size) });
    if (req.method === "GET" && one) return json(res, 200, shown(deals.get(Number(one[1]))));
    if (req.method === "POST" && path === "/deals") {
      const { user_id: _u, deal_category_id: _c, ...fields } = input;
      const lead = leadJson({ ...fields, id: next++, user: USER, category: STAGE });
      deals.set(lead.id as number, lead);
      return (reply.post ?? ((r, l) => json(r, 200, l)))(res, lead);
    }
    if (req.method === "PUT" && one) {
      const lead = { ...deals.get(Number(one[1])), ...input };
      deals.set(Number(one[1]), lead);
      return (reply.put ?? ((r, l) => json(r, 200, l)))(res, shown(lead) ?? lead);
    }
    if (req.method === "POST" && path === "/comments") {
      const note = { id: 7, text: input.text, created_at: "2026-01-05T09:00:00Z", user: USER };
      comments.push(note);
      return (reply.comment ?? ((r, n) => json(r, 200, n)))(res, note);
    }
    json(res, 404, undefined);
  });
  upstreams.push(up);
  const moco = clientFor(up.url);
  const uncertain: PendingWrite[] = [];
  moco.onUncertainWrite((w) => uncertain.push(w));
  const mcp = await mcpOver(moco, up.url);
  closers.push(async () => {
    await mcp.close();
    await moco.close();
  });
  const writes = () => up.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);
  return { up, mcp, moco, deals, comments, uncertain, writes };
}

const empty: Reply = (res) => json(res, 201, undefined);
const html: Reply = (res) => {
  res.writeHead(200, { "content-type": "text/html" });
  res.end("<html><body>OK</body></html>");
};
const noContent: Reply = (res) => {
  res.writeHead(204);
  res.end();
};
const newLead = {
  name: "Quirk AG",
  currency: "EUR",
  money: 25000,
  reminder_date: "2026-04-01",
  user_id: 10,
  deal_category_id: 30,
  // Not about the duplicate check (create_lead refuses a lookalike of an open lead): skip it.
  allow_duplicate: true,
};

describe("a create answered with a 2xx that cannot be read", () => {
  it.each([
    ["201 with an empty body", empty],
    ["200 with HTML", html],
  ])("%s: says the lead may exist and to look, never to retry; sends one POST", async (_, reply) => {
    const s = await standIn({ post: reply });
    const r = await s.mcp.call("create_lead", newLead);
    const out = textOf(r);
    expect(r.isError).toBe(true);
    expect(out).toMatch(/MAY HAVE BEEN CREATED/);
    expect(out).toMatch(/list_leads with updated_after="/);
    expect(out).not.toMatch(/retry in a minute/);
    expect(JSON.parse(out.split("\n").at(-1) ?? "").error.may_have_succeeded).toBe(true);
    expect(s.writes()).toEqual(["POST /deals"]);
    expect(s.uncertain).toEqual([{ method: "POST", path: "/deals" }]);
  });

  it("a note answered 201 with an empty body: may have been added, check before adding again", async () => {
    const s = await standIn({ comment: empty });
    const r = await s.mcp.call("add_lead_note", { id: 1, text: "Called, offer follows." });
    const out = textOf(r);
    expect(r.isError).toBe(true);
    expect(out).toMatch(/note MAY HAVE BEEN ADDED/);
    expect(out).not.toMatch(/retry in a minute/);
    expect(s.writes()).toEqual(["POST /comments"]);
    expect(s.comments).toHaveLength(1);
    expect(s.uncertain).toEqual([{ method: "POST", path: "/comments" }]);
  });
});

describe("a change answered with a 2xx that cannot be read", () => {
  it.each([
    ["200 with an empty body", ((res) => json(res, 200, undefined)) as Reply],
    ["204", noContent],
  ])("%s: the lead is read again and returned, with a warning saying so", async (_, reply) => {
    const s = await standIn({ put: reply });
    const r = await s.mcp.call("update_lead", { id: 1, money: 4321 });
    const out = textOf(r);
    expect(r.isError, out).toBeFalsy();
    const data = r.structuredContent as { lead: { money: number }; changes: string[]; warnings: string[] };
    expect(data.lead.money).toBe(4321);
    expect(data.changes).toEqual(["money: 100 → 4321"]);
    expect(data.warnings[0]).toMatch(/answer to the change could not be read.*lead 1 was read again/);
    expect(s.writes()).toEqual(["PUT /deals/1"]);
    // Read before (for the changes), and again after the unreadable answer.
    expect(s.up.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      "GET /deals/1",
      "PUT /deals/1",
      "GET /deals/1",
    ]);
    expect(s.uncertain).toEqual([]);
  });

  it("when reading it again fails too, the change may have been applied (never a plain failure)", async () => {
    let gets = 0;
    const up = await startUpstream((req, res) => {
      if (req.method === "PUT") return json(res, 204, undefined);
      gets++;
      json(res, 503, { message: "down" });
    });
    upstreams.push(up);
    const moco = clientFor(up.url, { maxRetries: 0 });
    const uncertain: PendingWrite[] = [];
    moco.onUncertainWrite((w) => uncertain.push(w));
    const error = await updateLead(moco, 1, { money: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MocoError);
    expect((error as MocoError).mayHaveSucceeded).toBe(true);
    expect((error as MocoError).message).toMatch(
      /accepted the change of lead 1 \(204\).*reading the lead again failed/,
    );
    expect(gets).toBe(1);
    expect(uncertain).toEqual([{ method: "PUT", path: "/deals/1" }]);
    await moco.close();
  });
});

describe("a write answer that lacks fields", () => {
  const lacking = (res: ServerResponse, lead: Record<string, unknown>) => {
    const { reminder_date: _r, tags: _t, ...rest } = lead;
    json(res, 200, rest);
  };

  it("update_lead reads the lead again instead of warning 'MOCO stored none'", async () => {
    const s = await standIn({ put: lacking });
    const r = await s.mcp.call("update_lead", { id: 1, reminder_date: "2026-07-15" });
    const data = r.structuredContent as {
      lead: { reminder_date: string };
      changes: string[];
      warnings: string[];
    };
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(data.warnings).toEqual([]);
    expect(data.changes).toEqual(["reminder_date: 2026-06-01 → 2026-07-15"]);
    expect(data.lead.reminder_date).toBe("2026-07-15");
    expect(s.up.requests.filter((q) => q.method === "GET" && q.path === "/deals/1")).toHaveLength(2);
  });

  it("update_leads counts the lead as changed, not unchanged", async () => {
    const s = await standIn({ put: lacking });
    const r = await s.mcp.call("update_leads", { ids: [1], changes: { reminder_date: "2026-09-01" } });
    expect(r.isError, textOf(r)).toBeFalsy();
    const row = (
      r.structuredContent as { leads: { outcome: string; warnings?: string[]; changes?: string[] }[] }
    ).leads[0];
    expect(row?.outcome).toBe("changed");
    expect(row?.changes).toEqual(["reminder_date: 2026-06-01 → 2026-09-01"]);
    expect(row?.warnings).toBeUndefined();
  });

  it("a field missing from the answer is unknown to the comparison, not 'none'", () => {
    const before = parseLead(leadJson({ reminder_date: "2026-01-10", tags: ["A"] }));
    const { reminder_date: _r, tags: _t, ...raw } = leadJson({ money: 5 });
    const after = parseLead(raw);
    const warnings = warningsFor({ asked: { reminder_date: "2026-06-01", money: 5 }, after, before });
    expect(warnings).toEqual([
      "reminder_date: MOCO's answer does not show it, so whether 2026-06-01 was stored is unknown; get_lead shows what MOCO holds",
    ]);
    expect(changesBetween(before, after)).toEqual(["money: 100 → 5"]);
  });

  it("a MOCO that never sends reminder_date and tags still gets the bulk write, planned from 'unknown'", async () => {
    const s = await standIn({ hide: ["reminder_date", "tags"] });
    const changes = { reminder_date: "2026-06-01", tags: ["Strategic"] };
    const dry = await s.mcp.call("update_leads", { ids: [1], changes, dry_run: true });
    expect(dry.isError, textOf(dry)).toBeFalsy();
    const planned = (dry.structuredContent as { leads: { outcome: string; changes?: string[] }[] }).leads[0];
    expect(planned?.outcome).toBe("would_change");
    expect(planned?.changes).toEqual([
      "reminder_date: unknown → 2026-06-01",
      'tags: unknown → ["Strategic"]',
    ]);
    const run = await s.mcp.call("update_leads", { ids: [1], changes });
    expect(run.isError, textOf(run)).toBeFalsy();
    expect(s.up.requests.filter((q) => q.method === "PUT" && q.path === "/deals/1")).toHaveLength(1);
    expect(s.deals.get(1)).toMatchObject(changes);
  });

  it("update_lead on such a MOCO says it cannot see what was stored, never 'Nothing changed' alone", async () => {
    const s = await standIn({ hide: ["reminder_date"] });
    const r = await s.mcp.call("update_lead", { id: 1, reminder_date: "2026-07-01" });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect((r.structuredContent as { warnings: string[] }).warnings).toContain(
      "reminder_date: MOCO's answer does not show it, so whether 2026-07-01 was stored is unknown; get_lead shows what MOCO holds",
    );
    expect(s.deals.get(1)?.reminder_date).toBe("2026-07-01");
  });
});

describe("custom fields holding objects", () => {
  it("are compared by content and shown as JSON", () => {
    const before = parseLead(leadJson({ custom_properties: { Obj: { a: 1 }, Same: { b: [1, 2] } } }));
    const after = parseLead(leadJson({ custom_properties: { Obj: { a: 2 }, Same: { b: [1, 2] } } }));
    expect(changesBetween(before, after)).toEqual(['custom_properties.Obj: {"a":1} → {"a":2}']);
    const w = warningsFor({ asked: { custom_properties: { Same: { b: [1, 2] } } }, after, before });
    expect(w).toEqual([]);
  });
});
