import { afterEach, describe, expect, it } from "vitest";
import { MirrorRegistry } from "../../../src/leads/mirror/index.js";
import { MocoClient } from "../../../src/moco/client.js";
import { RateLimiter } from "../../../src/moco/rate-limit.js";
import { openStore } from "../../../src/store/index.js";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

/**
 * A create whose answer is lost (MOCO stored the lead, then the connection broke) leaves the mirror
 * behind MOCO. Had the mirror stayed "fresh", the search the error tells the assistant to make would
 * say "Complete … 0 match", and the assistant would create the lead a second time.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("after a write whose outcome is unknown", () => {
  it("the next search syncs with MOCO first, whatever the freshness window, and finds the lead", async () => {
    // An hour's freshness: without the uncertain write, the next reads would make no MOCO request.
    h = await startHarness({ mirror: { freshMs: 3_600_000 } });
    const name = "Zuverlässig Unsicher Neu";
    const before = await h.call("list_leads", { query: name });
    expect(sc(before)).toMatchObject({ total: 0, complete: true });
    const { store } = h.sandbox;
    h.sandbox.faults.push({ kind: "reset_after_commit", method: "POST", path: "/deals" });
    const created = await h.call("create_lead", {
      name,
      currency: "EUR",
      money: 1234,
      reminder_date: store.today,
      user_id: store.profileUserId,
      deal_category_id: store.categories[0]?.id,
    });
    expect(created.isError).toBe(true);
    expect(text(created)).toContain("MAY HAVE BEEN CREATED");
    const stored = store.deals.filter((d) => d.name === name);
    expect(stored).toHaveLength(1); // MOCO did store it
    const after = await h.call("list_leads", { query: name });
    expect(sc(after).leads.map((l: { id: number }) => l.id)).toEqual(stored.map((d) => d.id));
    expect(sc(after).complete).toBe(true);
    // Once synced, the window applies again: the next search makes no request.
    const requests = h.sandbox.requests.length;
    await h.call("list_leads", { query: name });
    expect(h.sandbox.requests.length).toBe(requests);
  });

  it("a mirror the registry let go no longer listens to its client", async () => {
    h = await startHarness();
    const store = await openStore({ kind: "memory" });
    try {
      const registry = new MirrorRegistry({ store, maxLoaded: 1 });
      const first = registry.forClient(h.moco);
      let marked = 0;
      const mark = first.markUnsure.bind(first);
      first.markUnsure = () => {
        marked++;
        return mark();
      };
      h.moco.reportUncertain({ method: "POST", path: "/deals" });
      expect(marked).toBe(1);
      // Another scope takes the only slot: the first mirror is let go and stops listening.
      const other = new MocoClient({
        baseUrl: h.sandbox.url,
        apiKey: "another-key-0a1b2c",
        userAgent: "moco-leads-mcp-test",
        requestTimeoutMs: 1000,
        budget: new RateLimiter({ limit: 100, windowMs: 1000 }),
      });
      registry.forClient(other);
      h.moco.reportUncertain({ method: "POST", path: "/deals" });
      expect(marked).toBe(1);
      registry.close();
      await other.close();
    } finally {
      await store.close();
    }
  });

  it("a mirror built after the uncertain write (let go and loaded again) still syncs before its first read", async () => {
    h = await startHarness();
    const store = await openStore({ kind: "memory" });
    const other = new MocoClient({
      baseUrl: h.sandbox.url,
      apiKey: "another-key-3d4e5f",
      userAgent: "moco-leads-mcp-test",
      requestTimeoutMs: 1000,
      budget: new RateLimiter({ limit: 1000, windowMs: 1000 }),
    });
    try {
      const registry = new MirrorRegistry({ store, maxLoaded: 1, freshMs: 3_600_000 });
      await registry.forClient(h.moco).read(); // synced, fresh for an hour
      registry.forClient(other); // takes the only slot: the first mirror is let go
      h.moco.reportUncertain({ method: "POST", path: "/deals" }); // no mirror of its scope listens now
      const from = h.sandbox.requests.length;
      const again = registry.forClient(h.moco); // loaded again from the store, synced minutes ago
      await again.read();
      expect(h.sandbox.requests.slice(from).some((q) => q.path === "/deals")).toBe(true);
      registry.close();
    } finally {
      await other.close();
      await store.close();
    }
  });
});
