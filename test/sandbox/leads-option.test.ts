import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { MocoClient } from "../../src/moco/client.js";
import { listLeads } from "../../src/moco/leads.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { SEED_STATUS_COUNTS, statusCounts } from "../../src/sandbox/seed.js";

let sandbox: Sandbox | undefined;
let moco: MocoClient | undefined;
afterEach(async () => {
  await moco?.close();
  await sandbox?.close();
  sandbox = undefined;
  moco = undefined;
});

async function start(leads?: number) {
  sandbox = await startSandbox({ today: "2026-03-02", leads });
  moco = new MocoClient({
    baseUrl: sandbox.url,
    apiKey: sandbox.apiKey,
    userAgent: "test",
    requestTimeoutMs: 5000,
    budget: new RateLimiter({ limit: 10_000, windowMs: 120_000 }),
    maxRetries: 0,
  });
  return { sandbox, moco };
}

describe("sandbox leads option", () => {
  it("seeds exactly N leads, the same ones on every start", async () => {
    const a = await start(2500);
    const first = a.sandbox.store.deals.map((d) => a.sandbox.store.dealJson(d));
    expect(first).toHaveLength(2500);
    await a.sandbox.close();
    const b = await startSandbox({ today: "2026-03-02", leads: 2500 });
    expect(b.store.deals.map((d) => b.store.dealJson(d))).toEqual(first);
    await b.close();
  });

  it("264 leads is the default account, lead for lead", async () => {
    const a = await startSandbox({ today: "2026-03-02" });
    const b = await startSandbox({ today: "2026-03-02", leads: 264 });
    expect(b.store.deals).toEqual(a.store.deals);
    await Promise.all([a.close(), b.close()]);
  });

  it("keeps the default status mix at any size", () => {
    expect(statusCounts(264)).toEqual(SEED_STATUS_COUNTS);
    const big = statusCounts(20_000);
    expect(Object.values(big).reduce((x, y) => x + y, 0)).toBe(20_000);
    expect(big.pending).toBe(Math.round((119 / 264) * 20_000));
  });

  it("refuses a count that is not a whole number", async () => {
    await expect(startSandbox({ leads: -1 })).rejects.toThrow(/leads/);
    await expect(startSandbox({ leads: 1.5 })).rejects.toThrow(/leads/);
  });

  it("X-Total of a one-lead page counts the whole account; with updated_after only the newer leads", async () => {
    const { sandbox, moco } = await start(1500);
    expect((await listLeads(moco, { per_page: 1 })).page.total).toBe(1500);
    const stamps = sandbox.store.deals.map((d) => d.updated_at).sort();
    const pivot = stamps[1000] as string;
    const newer = stamps.filter((s) => s > pivot).length;
    const page = await listLeads(moco, { per_page: 1, updated_after: pivot });
    expect(page.page.total).toBe(newer);
    expect(page.leads.every((l) => l.updated_at > pivot)).toBe(true);
  });

  it("a lead changed or created behind the server's back shows up in updated_after, a deleted one only in X-Total", async () => {
    const { sandbox, moco } = await start(300);
    const { store } = sandbox;
    const since = store.deals
      .map((d) => d.updated_at)
      .sort()
      .at(-1) as string;
    const [changed, removed] = store.deals;
    if (!changed || !removed) throw new Error("seed too small");
    expect(store.updateDeal(changed, { money: 1 }).ok).toBe(true);
    store.deleteDeal(removed);
    const delta = await listLeads(moco, { updated_after: since, per_page: 100 });
    expect(delta.leads.map((l) => l.id)).toEqual([changed.id]);
    expect((await listLeads(moco, { per_page: 1 })).page.total).toBe(299);
  });

  it("a fault with a query matches only requests with those parameters", async () => {
    const { sandbox, moco } = await start(300);
    sandbox.faults.push({ kind: "status", status: 503, path: "/deals", query: "page=2" });
    expect((await listLeads(moco, { page: 1, per_page: 100 })).leads).toHaveLength(100);
    expect(sandbox.faults).toHaveLength(1);
    await expect(listLeads(moco, { page: 2, per_page: 100 })).rejects.toMatchObject({ status: 503 });
    expect(sandbox.faults).toHaveLength(0);
  });

  it("the CLI's --leads N seeds N leads", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/sandbox/cli.ts", "--leads", "150"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      let line = "";
      for await (const chunk of child.stderr) {
        line += String(chunk);
        if (line.includes("\n")) break;
      }
      const url = /url=(\S+)/.exec(line)?.[1];
      if (!url) throw new Error(`no url in: ${line}`);
      moco = new MocoClient({
        baseUrl: url,
        apiKey: "sandbox-key",
        userAgent: "test",
        requestTimeoutMs: 5000,
        budget: new RateLimiter({ limit: 100, windowMs: 120_000 }),
        maxRetries: 0,
      });
      expect((await listLeads(moco, { per_page: 1 })).page.total).toBe(150);
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
});

describe("sandbox omitHeaders option", () => {
  it("leaves the named headers out of every answer", async () => {
    const sb = await startSandbox({ omitHeaders: ["X-Total", "Link"] });
    try {
      const client = new MocoClient({
        baseUrl: sb.url,
        apiKey: sb.apiKey,
        userAgent: "test",
        requestTimeoutMs: 5000,
        budget: new RateLimiter({ limit: 100, windowMs: 120_000 }),
        maxRetries: 0,
      });
      const page = await listLeads(client, { per_page: 100 });
      expect(page.page.total).toBeNull();
      expect(page.page.page).toBe(1);
      expect(page.leads).toHaveLength(100);
      await client.close();
    } finally {
      await sb.close();
    }
  });
});
