import { createServer, request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { LeadMirror } from "../../src/leads/mirror/index.js";
import { leadAtMoco } from "../../src/webhooks/apply.js";
import { webhookReceiver } from "../../src/webhooks/index.js";
import { apiLeads } from "../support/mirror-helpers.js";
import {
  closeServer,
  type HookEnv,
  hookRequest,
  post,
  SECRET,
  startHookEnv,
} from "../support/webhook-helpers.js";

let h: HookEnv | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A raw POST announcing `length` bytes and sending only `sent` of them: the status, or 0 when none came. */
function announce(
  url: string,
  headers: Record<string, string>,
  length: number,
  sent: number,
): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: "POST", headers: { ...headers, "content-length": String(length) } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", () => resolve(0));
    req.write(Buffer.alloc(sent, 120));
  });
}

/** A signed-looking chunked POST (no Content-Length) sending `size` bytes and then, unless `end`, nothing more. */
function chunked(url: string, headers: Record<string, string>, size: number, end: boolean): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.write(Buffer.alloc(size, 120));
    if (end) req.end();
  });
}

describe("a flood of hooks", () => {
  it("a body that never ends is cut at the body timeout (408), a chunked body at the cap (413)", async () => {
    const e = await startHookEnv({ maxBodyBytes: 1024, bodyTimeoutMs: 200 });
    h = e;
    const { headers } = hookRequest({ target: "Deal", event: "update", body: {}, accountUrl: e.accountUrl });
    expect(await chunked(e.url, headers, 100, false)).toBe(408);
    expect(await chunked(e.url, headers, 4096, false)).toBe(413);
    expect(e.receiver.pending).toBe(0);
  });

  it("unsigned and oversized hooks are answered 4xx unread, the queue stays bounded, a valid hook still applies", async () => {
    const e = await startHookEnv({ queueCap: 50 });
    h = e;
    const deal = e.env.sandbox.store.deals[2];
    if (!deal) throw new Error("no lead");
    const body = e.env.sandbox.store.dealJson(deal);
    const unsigned = {
      ...hookRequest({ target: "Deal", event: "update", body, accountUrl: e.accountUrl }).headers,
    };
    delete unsigned["x-moco-signature"];
    const signed = hookRequest({ target: "Deal", event: "update", body, accountUrl: e.accountUrl }).headers;
    let maxPending = 0;
    const watch = setInterval(() => {
      maxPending = Math.max(maxPending, e.receiver.pending);
    }, 1);
    const started = Date.now();
    const statuses = await Promise.all([
      // No signature: refused on its headers, the body never read.
      ...Array.from({ length: 300 }, () => announce(e.url, unsigned, 10, 10)),
      // Over the cap by its announced length: refused before a byte is read (only 1 KiB of 8 MiB sent).
      ...Array.from({ length: 50 }, () => announce(e.url, signed, 8 * 1024 * 1024, 1024)),
    ]);
    const floodMs = Date.now() - started;
    clearInterval(watch);
    expect(statuses.slice(0, 300).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(300).every((s) => s === 413)).toBe(true);
    expect(maxPending).toBe(0);
    e.env.sandbox.store.updateDeal(deal, { name: "After the flood" });
    const valid = await post(e.url, {
      target: "Deal",
      event: "update",
      body: e.env.sandbox.store.dealJson(deal),
      accountUrl: e.accountUrl,
    });
    expect(valid.status).toBe(202);
    await e.receiver.idle();
    expect((await e.env.mirror.read()).leads).toEqual(apiLeads(e.env.sandbox));
    console.info(`flood: 350 refused hooks answered in ${floodMs} ms`);
  });

  it("past its cap the queue refuses with 503 (MOCO sends it again), and applies what it took", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let mirror: LeadMirror | undefined;
    const e = await startHookEnv();
    h = e;
    // A second receiver whose mirror waits at the gate: the queue fills.
    mirror = e.env.mirror;
    const blocked = webhookReceiver({
      secrets: [SECRET],
      queueCap: 3,
      accounts: [
        {
          url: e.accountUrl,
          deps: {
            mirror: async () => {
              await gate;
              return mirror;
            },
            userName: async () => undefined,
            lead: (id) => leadAtMoco(e.env.moco, id),
          },
        },
      ],
    });
    const server = createServer((req, res) => void blocked.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/webhooks/moco`;
    try {
      const deals = e.env.sandbox.store.deals.slice(10, 15);
      expect(deals).toHaveLength(5);
      const statuses: number[] = [];
      for (const deal of deals) {
        e.env.sandbox.store.updateDeal(deal, { money: 5 });
        const hook = {
          target: "Deal",
          event: "update",
          body: e.env.sandbox.store.dealJson(deal),
          accountUrl: e.accountUrl,
        };
        statuses.push((await post(url, hook)).status);
        expect(blocked.pending).toBeLessThanOrEqual(3);
      }
      expect(statuses).toEqual([202, 202, 202, 503, 503]);
      open();
      await blocked.idle();
      const read = (await e.env.mirror.read()).leads;
      const byId = new Map(read.map((l) => [l.id, l]));
      // The three taken are applied; the two refused are not (MOCO sends them again).
      const api = new Map(apiLeads(e.env.sandbox).map((l) => [l.id, l]));
      expect(deals.slice(0, 3).map((d) => byId.get(d.id))).toEqual(
        deals.slice(0, 3).map((d) => api.get(d.id)),
      );
      expect(deals.slice(3).map((d) => byId.get(d.id))).not.toEqual(deals.slice(3).map((d) => api.get(d.id)));
    } finally {
      await closeServer(server);
    }
  });
});
