import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type {
  GrantStore,
  StoredClient,
  StoredCode,
  StoredGrant,
  StoredPending,
  StoredToken,
} from "../../src/oauth/store.js";

/**
 * The GrantStore's behaviour, the same on every implementation. `open` gives a store with no rows of
 * the names this suite makes up (each test uses fresh ids, so one database may serve every test).
 */
export function describeGrantStore(
  name: string,
  open: () => Promise<GrantStore>,
  options: { skip?: string } = {},
) {
  describe.skipIf(options.skip !== undefined)(`the grant store on ${name}`, () => {
    let store: GrantStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const now = Date.now();
    const id = () => randomUUID();
    const client = (over: Partial<StoredClient> = {}): StoredClient => ({
      clientId: id(),
      metadata: JSON.stringify({ client_name: "Test" }),
      secretSealed: undefined,
      createdAt: now,
      ...over,
    });
    const grant = (clientId: string, over: Partial<StoredGrant> = {}): StoredGrant => ({
      id: id(),
      clientId,
      baseUrl: "https://acme.mocoapp.com/api/v1",
      keySealed: `sealed:${id()}`,
      subject: JSON.stringify({ account: "acme" }),
      scope: "leads:read",
      resource: "https://leads.example/mcp",
      createdAt: now,
      activatedAt: undefined,
      expiresAt: now + 3_600_000,
      revokedAt: undefined,
      ...over,
    });
    const code = (g: StoredGrant, over: Partial<StoredCode> = {}): StoredCode => ({
      hash: id(),
      grantId: g.id,
      clientId: g.clientId,
      redirectUri: "https://app.example/cb",
      redirectUriRequired: true,
      codeChallenge: "challenge",
      resource: g.resource,
      expiresAt: now + 60_000,
      usedAt: undefined,
      ...over,
    });
    const token = (g: StoredGrant, over: Partial<StoredToken> = {}): StoredToken => ({
      hash: id(),
      kind: "refresh",
      grantId: g.id,
      clientId: g.clientId,
      createdAt: now,
      expiresAt: now + 60_000,
      usedAt: undefined,
      ...over,
    });
    const pending = (over: Partial<StoredPending> = {}): StoredPending => ({
      hash: id(),
      csrfHash: id(),
      request: JSON.stringify({ client_id: "c" }),
      baseUrl: "https://acme.mocoapp.com/api/v1",
      keySealed: `sealed:${id()}`,
      subject: JSON.stringify({ account: "acme" }),
      expiresAt: now + 60_000,
      ...over,
    });
    /** A client with one grant. */
    const granted = async (over: Partial<StoredGrant> = {}) => {
      const c = client();
      await store.putClient(c);
      const g = grant(c.clientId, over);
      await store.createGrant(g);
      return g;
    };

    it("keeps clients as given, public ones without a secret, and counts them", async () => {
      const before = await store.countClients();
      const pub = client();
      const confidential = client({ secretSealed: "sealed-secret" });
      await store.putClient(pub);
      await store.putClient(confidential);
      expect(await store.getClient(pub.clientId)).toEqual(pub);
      expect(await store.getClient(confidential.clientId)).toEqual(confidential);
      expect(await store.getClient(id())).toBeUndefined();
      expect(await store.countClients()).toBe(before + 2);
      await expect(store.putClient(pub)).rejects.toThrow();
    });

    it("prunes only clients without a grant created before the cut-off, oldest first, at most `max`", async () => {
      const base = now - 10_000_000_000 - Math.floor(Math.random() * 1_000_000);
      const [a, b, c] = [
        client({ createdAt: base }),
        client({ createdAt: base + 1 }),
        client({ createdAt: base + 2 }),
      ];
      const holder = client({ createdAt: base - 1 });
      for (const x of [a, b, c, holder]) await store.putClient(x);
      await store.createGrant(grant(holder.clientId));
      expect(await store.oldestIdleClient()).toBeLessThanOrEqual(base);
      expect(await store.pruneIdleClients(base + 2, 1)).toBe(1);
      expect(await store.getClient(a.clientId)).toBeUndefined();
      expect(await store.getClient(b.clientId)).toBeDefined();
      expect(await store.pruneIdleClients(base + 2, 10)).toBe(1);
      expect(await store.getClient(b.clientId)).toBeUndefined();
      expect(await store.getClient(c.clientId)).toBeDefined();
      expect(await store.getClient(holder.clientId)).toBeDefined();
    });

    it("hands a pending consent out once, even to callers asking at the same time", async () => {
      const p = pending();
      await store.putPending(p);
      const answers = await Promise.all(Array.from({ length: 5 }, () => store.takePending(p.hash)));
      expect(answers.filter((a) => a !== undefined)).toEqual([p]);
      expect(await store.takePending(p.hash)).toBeUndefined();
    });

    it("keeps grants as given, activates them once, and lists them oldest first", async () => {
      const first = await granted({ createdAt: now - 2 });
      const second = await granted({ createdAt: now - 1 });
      expect(await store.getGrant(first.id)).toEqual(first);
      expect(await store.getGrant(id())).toBeUndefined();
      await store.activateGrant(first.id, now + 5);
      await store.activateGrant(first.id, now + 9);
      expect((await store.getGrant(first.id))?.activatedAt).toBe(now + 5);
      const ids = (await store.listGrants()).map((g) => g.id);
      expect(ids.indexOf(first.id)).toBeGreaterThanOrEqual(0);
      expect(ids.indexOf(first.id)).toBeLessThan(ids.indexOf(second.id));
    });

    it("revokes a grant with its whole family of tokens and codes, and deletes one with everything of it", async () => {
      const g = await granted();
      const [refresh, access, c] = [token(g), token(g, { kind: "access" }), code(g)];
      await store.putToken(refresh);
      await store.putToken(access);
      await store.putCode(c);
      await store.revokeGrant(g.id, now + 1);
      await store.revokeGrant(g.id, now + 2);
      expect((await store.getGrant(g.id))?.revokedAt).toBe(now + 1);
      expect(await store.getToken(refresh.hash)).toBeUndefined();
      expect(await store.getToken(access.hash)).toBeUndefined();
      expect(await store.useCode(c.hash, now)).toBeUndefined();

      const other = await granted();
      const t = token(other);
      await store.putToken(t);
      await store.deleteGrant(other.id);
      expect(await store.getGrant(other.id)).toBeUndefined();
      expect(await store.getToken(t.hash)).toBeUndefined();
    });

    it("lets exactly one of concurrent exchanges use a code first; later ones see it used", async () => {
      const g = await granted();
      const c = code(g, { redirectUriRequired: false });
      await store.putCode(c);
      const uses = await Promise.all(Array.from({ length: 5 }, (_, i) => store.useCode(c.hash, now + i)));
      const first = uses.filter((u) => u?.firstUse);
      expect(first).toHaveLength(1);
      expect(first[0]?.code).toEqual({ ...c, usedAt: first[0]?.code.usedAt });
      expect(first[0]?.code.usedAt).toBeDefined();
      const again = await store.useCode(c.hash, now + 100);
      expect(again?.firstUse).toBe(false);
      expect(again?.code.usedAt).toBe(first[0]?.code.usedAt);
      expect(again?.code.redirectUriRequired).toBe(false);
      expect(await store.useCode(id(), now)).toBeUndefined();
    });

    it("lets a refresh token be used once, by exactly one of concurrent callers, and never an access token", async () => {
      const g = await granted();
      const refresh = token(g);
      const access = token(g, { kind: "access" });
      await store.putToken(refresh);
      await store.putToken(access);
      expect(await store.getToken(refresh.hash)).toEqual(refresh);
      const uses = await Promise.all(
        Array.from({ length: 5 }, () => store.useRefreshToken(refresh.hash, now + 1)),
      );
      expect(uses.filter(Boolean)).toHaveLength(1);
      expect(await store.useRefreshToken(refresh.hash, now + 2)).toBe(false);
      expect((await store.getToken(refresh.hash))?.usedAt).toBe(now + 1);
      expect(await store.useRefreshToken(access.hash, now)).toBe(false);
      expect(await store.getToken(id())).toBeUndefined();
    });

    it("purges what expired and grants never activated in time, and keeps the rest", async () => {
      const at = now + 1_000_000;
      const live = await granted({ activatedAt: now, expiresAt: at + 10 });
      const expired = await granted({ activatedAt: now, expiresAt: at - 1 });
      const unused = await granted({ createdAt: at - 100 });
      const fresh = await granted({ createdAt: at - 5 });
      const [oldToken, newToken] = [token(live, { expiresAt: at - 1 }), token(live, { expiresAt: at + 1 })];
      const [oldCode, newCode] = [code(live, { expiresAt: at - 1 }), code(live, { expiresAt: at + 1 })];
      const [oldPending, newPending] = [pending({ expiresAt: at - 1 }), pending({ expiresAt: at + 1 })];
      for (const t of [oldToken, newToken]) await store.putToken(t);
      for (const c of [oldCode, newCode]) await store.putCode(c);
      for (const p of [oldPending, newPending]) await store.putPending(p);
      await store.purge(at, at - 10);
      expect(await store.getGrant(live.id)).toBeDefined();
      expect(await store.getGrant(fresh.id)).toBeDefined();
      expect(await store.getGrant(expired.id)).toBeUndefined();
      expect(await store.getGrant(unused.id)).toBeUndefined();
      expect(await store.getToken(oldToken.hash)).toBeUndefined();
      expect(await store.getToken(newToken.hash)).toBeDefined();
      expect(await store.useCode(oldCode.hash, at)).toBeUndefined();
      expect((await store.useCode(newCode.hash, at))?.firstUse).toBe(true);
      expect(await store.takePending(oldPending.hash)).toBeUndefined();
      expect(await store.takePending(newPending.hash)).toEqual(newPending);
    });

    it("counts hits per key in a fixed window: past the limit is over until the window ends, then afresh", async () => {
      const [key, other] = [`test:${id()}`, `test:${id()}`];
      const hits = [];
      for (const at of [now, now + 10, now + 20]) hits.push(await store.countHit(key, 2, 1000, at));
      expect(hits).toEqual([
        { over: false, resetAt: now + 1000 },
        { over: false, resetAt: now + 1000 },
        { over: true, resetAt: now + 1000 },
      ]);
      expect(await store.countHit(other, 2, 1000, now + 20)).toEqual({ over: false, resetAt: now + 1020 });
      // The hit at the window's end starts the next one.
      expect(await store.countHit(key, 2, 1000, now + 1000)).toEqual({ over: false, resetAt: now + 2000 });
      expect(await store.countHit(key, 1, 1000, now + 1001)).toEqual({ over: true, resetAt: now + 2000 });
    });

    it("of concurrent hits through two connections, exactly `limit` are within it", async () => {
      const second = await open();
      try {
        const key = `test:${id()}`;
        const hits = await Promise.all(
          Array.from({ length: 12 }, (_, i) => (i % 2 ? second : store).countHit(key, 5, 60_000, now)),
        );
        expect(hits.filter((h) => !h.over)).toHaveLength(5);
        expect(new Set(hits.map((h) => h.resetAt))).toEqual(new Set([now + 60_000]));
      } finally {
        await second.close();
      }
    });

    it("purges hit windows that ended and keeps the running ones", async () => {
      const [ended, running] = [`test:${id()}`, `test:${id()}`];
      await store.countHit(ended, 1, 1000, now);
      await store.countHit(running, 1, 10_000, now);
      await store.purge(now + 1000, 0);
      // Counted at the same time again: a purged window starts afresh, a kept one is past its limit.
      expect((await store.countHit(ended, 1, 1000, now)).over).toBe(false);
      expect((await store.countHit(running, 1, 10_000, now)).over).toBe(true);
    });

    it("replaces a sealed key or client secret (a new sealing secret) and nothing else", async () => {
      const g = await granted();
      await store.resealGrant(g.id, "sealed-anew");
      expect(await store.getGrant(g.id)).toEqual({ ...g, keySealed: "sealed-anew" });
      const c = client({ secretSealed: "old" });
      await store.putClient(c);
      await store.resealClient(c.clientId, "new");
      expect(await store.getClient(c.clientId)).toEqual({ ...c, secretSealed: "new" });
    });
  });
}
