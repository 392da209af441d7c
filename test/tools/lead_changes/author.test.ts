import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { accountReceiver } from "../../../src/webhooks/index.js";
import { type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";
import { closeServer, SECRET } from "../../support/webhook-helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server with a lead mirror fresh for an hour, and MOCO's webhooks for its account delivered to it. */
async function start() {
  const h: Harness = await startHarness({
    mirror: { freshMs: 3_600_000 },
    sandbox: { webhookSecret: SECRET },
  });
  cleanups.push(() => h.close());
  const receiver = accountReceiver([SECRET], h.moco, async () => h.mirror);
  const server = createServer((req, res) => void receiver.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => closeServer(server));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/moco`;
  return { h, receiver, url };
}

const changes = async (h: Harness, since: string) => {
  const r = await h.call("lead_changes", { since });
  expect(r.isError, text(r)).toBeFalsy();
  return { rows: sc(r).changes as Json[], text: text(r) };
};

describe("lead_changes names who made a change where MOCO's webhook said so", () => {
  it("by Anna Schmid (from MOCO's webhook); a change seen by a sync has no author", async () => {
    const { h, receiver, url } = await start();
    await changes(h, "2000-01-01"); // the first sync: the history's baseline
    const since = new Date().toISOString();
    const [hooked, synced] = h.sandbox.store.deals.slice(40, 42);
    if (!hooked || !synced) throw new Error("no leads");
    // A change no hook reports, seen by the next sync.
    h.sandbox.store.updateDeal(synced, { money: 9 });
    await h.mirror?.sync();
    h.sandbox.store.webHooks.add({ target: "Deal", event: "update", hook: url }, since);
    h.sandbox.store.updateDeal(hooked, { name: "Renamed in MOCO" });
    await h.sandbox.store.webHooks.settled();
    await receiver.idle();
    const me = h.sandbox.store.profile();
    const { rows, text: said } = await changes(h, since);
    const byLead = new Map(rows.map((r) => [r.lead_id, r]));
    expect(byLead.get(hooked.id)?.author).toBe(`${me.firstname} ${me.lastname} (from MOCO's webhook)`);
    expect(byLead.get(synced.id)).toBeDefined();
    expect(byLead.get(synced.id)?.author).toBeNull();
    expect(said).toContain("for the others the author is unknown");
  });
});
