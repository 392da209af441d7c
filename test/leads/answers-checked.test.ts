import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { scanOfMirror } from "../../src/leads/find.js";
import { LeadMirror } from "../../src/leads/mirror/index.js";
import { MocoClient } from "../../src/moco/client.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { scanLeads } from "../../src/moco/scan.js";
import { scanNote } from "../../src/replies/scan-note.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { openStore } from "../../src/store/index.js";
import type { LeadStore } from "../../src/store/types.js";

/**
 * MOCO answers checked against the question: a stand-in MOCO (a small proxy in front of the sandbox)
 * that ignores a filter or leaves a lead out of an answer by ids must never make the mirror record a
 * lead as deleted, nor say what did not happen. A deletion counts only once MOCO answers 404 by id.
 */
const KEY = "answers-checked-key-5d1e";

type Rewrite = { url?: (url: URL) => void; body?: (url: URL, body: unknown) => unknown };

/** A MOCO in front of the sandbox that changes what it is asked (`url`) or what it answers (`body`). */
async function standIn(sandbox: Sandbox, rewrite: Rewrite): Promise<{ url: string; server: Server }> {
  const origin = new URL(sandbox.url).origin;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", origin);
    rewrite.url?.(url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === "string" && !["host", "content-length", "connection"].includes(name))
        headers[name] = value;
    const answer = await fetch(url, {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    let text = await answer.text();
    if (rewrite.body && text.startsWith("[")) text = JSON.stringify(rewrite.body(url, JSON.parse(text)));
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (
        !["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"].includes(
          name,
        )
      )
        out[name] = value;
    });
    res.writeHead(answer.status, out);
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v1`, server };
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function setup(rewrite: Rewrite) {
  const sandbox = await startSandbox({ apiKey: KEY, leads: 300 });
  const proxy = await standIn(sandbox, rewrite);
  const moco = new MocoClient({
    baseUrl: proxy.url,
    apiKey: KEY,
    userAgent: "moco-leads-mcp-test",
    requestTimeoutMs: 5000,
    budget: new RateLimiter({ limit: 100_000, windowMs: 120_000 }),
    maxRetries: 0,
  });
  const store: LeadStore = await openStore({ kind: "memory" });
  const mirror = new LeadMirror({ store, moco, pageWaitMs: 10_000 });
  open.push(async () => {
    mirror.close();
    await store.close();
    await moco.close();
    await new Promise((resolve) => proxy.server.close(resolve));
    proxy.server.closeAllConnections();
    await sandbox.close();
  });
  return { sandbox, mirror, moco };
}

/** Deletes `n` leads behind the server's back (in the sandbox itself); returns their ids. */
function deleteInMoco(sandbox: Sandbox, n: number): number[] {
  const deals = sandbox.store.deals.slice(10, 10 + n);
  for (const deal of deals) sandbox.store.deleteDeal(deal);
  return deals.map((d) => d.id);
}

const deletedChanges = async (mirror: LeadMirror) =>
  (await mirror.changes({ since: "2000-01-01", limit: 500 })).changes.filter((c) => c.kind === "deleted");

describe("a MOCO that ignores the ids filter", () => {
  it("records no lead as deleted, and the read says why it is not complete", async () => {
    // The filter is dropped once the mirror holds its first copy: the first sync asks no ids.
    let ignoreIds = false;
    const { sandbox, mirror } = await setup({
      url: (url) => {
        if (ignoreIds) url.searchParams.delete("ids");
      },
    });
    await mirror.read();
    ignoreIds = true;
    deleteInMoco(sandbox, 2);
    const read = await mirror.read({ maxAgeMs: 0 });
    expect(await deletedChanges(mirror)).toEqual([]);
    expect(read.leads).toHaveLength(300);
    expect(read.gap).toMatchObject({ kind: "count", read: 300, counted: 298 });
    const note = scanNote(scanOfMirror(read, [...read.leads]), read.leads.length, 20, read.asOf);
    expect(note).toMatch(/^INCOMPLETE/);
    expect(note).toContain("ignored the ids filter");
    expect(note).not.toContain("second full read");
  });
});

describe("a lead is deleted only once MOCO answers 404 for it by id", () => {
  it("two leads deleted in MOCO: each confirmed by GET /deals/{id}, then recorded", async () => {
    const { sandbox, mirror } = await setup({});
    await mirror.read();
    const gone = deleteInMoco(sandbox, 2);
    const read = await mirror.read({ maxAgeMs: 0 });
    expect(read.gap).toBeUndefined();
    expect((await deletedChanges(mirror)).map((c) => c.leadId).sort()).toEqual([...gone].sort());
    for (const id of gone)
      expect(sandbox.requests.some((r) => r.method === "GET" && r.path === `/deals/${id}`)).toBe(true);
  });

  it("a lead an answer by ids leaves out, but MOCO still has, stays in the mirror", async () => {
    let hidden: number | undefined;
    const { sandbox, mirror } = await setup({
      body: (url, body) =>
        url.searchParams.has("ids") ? (body as { id: number }[]).filter((l) => l.id !== hidden) : body,
    });
    await mirror.read();
    const [gone] = deleteInMoco(sandbox, 1);
    hidden = sandbox.store.deals[50]?.id;
    const read = await mirror.read({ maxAgeMs: 0 });
    expect(read.leads.some((l) => l.id === hidden)).toBe(true);
    expect(read.leads.some((l) => l.id === gone)).toBe(false);
    expect((await deletedChanges(mirror)).map((c) => c.leadId)).toEqual([gone]);
  });
});

describe("a MOCO that ignores updated_after", () => {
  it("the sync fails, saying which filter MOCO ignored; nothing is committed", async () => {
    let ignore = false;
    const { sandbox, mirror } = await setup({
      url: (url) => {
        if (ignore) url.searchParams.delete("updated_after");
      },
    });
    await mirror.read();
    const deal = sandbox.store.deals[5];
    if (deal) sandbox.store.updateDeal(deal, { name: "Changed behind the server's back" });
    ignore = true;
    await expect(mirror.read({ maxAgeMs: 0 })).rejects.toThrow(/ignored the updated_after filter/);
    expect((await mirror.changes({ since: "2000-01-01", limit: 500 })).changes).toEqual([]);
  });
});

describe("a live scan of a MOCO that ignores a filter", () => {
  it("is refused with the reason, not passed off as the leads asked for", async () => {
    const { sandbox, moco } = await setup({ url: (url) => url.searchParams.delete("ids") });
    const ids = sandbox.store.deals.slice(0, 3).map((d) => d.id + 1000);
    await expect(scanLeads(moco, { ids }, { maxPages: 5 })).rejects.toThrow(/ignored the ids filter/);
  });
});
