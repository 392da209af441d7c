import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { setLogLevel } from "../../src/log.js";
import type { OAuthOptions } from "../../src/oauth/index.js";
import { SqliteGrantStore } from "../../src/oauth/sqlite-store.js";
import { PostgresGrantStore } from "../../src/store/postgres/grants.js";
import { postgresLocation } from "../../src/store/postgres/setting.js";
import { dropSchema, randomSchema, skipReason, sql, storeUrl } from "../store/postgres-support.js";
import { authorize, pkce, REDIRECT, register, signIn } from "./form-flow.js";
import { captureStderr, type Stack, startStack } from "./support.js";

/**
 * Two front doors (two servers with OAuth, as two instances behind one load balancer) on one grants
 * store enforce one sign-in limit and one registration limit between them, not one each; the store
 * keeps no address in clear. A store that cannot count leaves each door its own limit, never none.
 */
const dir = mkdtempSync(join(tmpdir(), "shared-limits-"));
const skip = await skipReason();
const schemas: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (skip === undefined) for (const s of schemas) await dropSchema(s);
});
let stacks: Stack[] = [];
afterEach(async () => {
  setLogLevel("error");
  for (const s of stacks) await s.close();
  stacks = [];
});

const ADDRESS = "10.9.8.7";

interface Backend {
  name: string;
  skip: boolean;
  /** A grants store of its own for one door; every door of one test shares its database. */
  opener(): () => Promise<OAuthOptions["store"]>;
  /** The rows of oauth_limits in that database. */
  limitRows(): Promise<Array<{ key: string }>>;
}

function sqliteBackend(): Backend {
  let path = "";
  return {
    name: "one SQLite file",
    skip: false,
    opener() {
      path = join(dir, `${Math.random().toString(36).slice(2)}.sqlite`);
      return async () => ({ sqlitePath: path });
    },
    async limitRows() {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return db.prepare("SELECT key FROM oauth_limits").all() as Array<{ key: string }>;
      } finally {
        db.close();
      }
    },
  };
}

function postgresBackend(): Backend {
  let schema = "";
  return {
    name: "PostgreSQL",
    skip: skip !== undefined,
    opener() {
      schema = randomSchema();
      schemas.push(schema);
      return () => PostgresGrantStore.open(postgresLocation(storeUrl(schema)));
    },
    limitRows: () => sql<{ key: string }>(`SELECT key FROM "${schema}".oauth_limits`),
  };
}

/** Two doors on one store and one clock. */
async function twoDoors(backend: Backend, overrides: Partial<OAuthOptions>) {
  const open = backend.opener();
  const clock = { now: Date.now() };
  for (let i = 0; i < 2; i++) {
    stacks.push(await startStack({ store: await open(), now: () => clock.now, trustProxy: 1, ...overrides }));
  }
  return { doors: stacks as [Stack, Stack], clock };
}

async function registerAt(s: Stack, address: string) {
  const res = await fetch(`${s.base}/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Forwarded-For": address },
    body: JSON.stringify({
      client_name: "Door",
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
    }),
  });
  const json = (await res.json()) as { error_description?: string };
  return { status: res.status, retryAfter: res.headers.get("retry-after"), message: json.error_description };
}

async function session(s: Stack) {
  const { json: client } = await register(s);
  return authorize(s, client.client_id, pkce().challenge);
}

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe.skipIf(backend.skip)(`two front doors on ${backend.name}`, () => {
    it("share one sign-in limit: 3 attempts spread over both pass, the next on either is refused", async () => {
      const { doors } = await twoDoors(backend, { signInsPer15Minutes: 3 });
      const [a, b] = doors;
      const [onA, onB] = [await session(a), await session(b)];
      const attempt = async (door: Stack, s: typeof onA, i: number) =>
        signIn(door, s, { api_key: `wrong-key-${i}-0000000000` });
      const passed = [await attempt(a, onA, 0), await attempt(b, onB, 1), await attempt(a, onA, 2)];
      expect(passed.map((r) => r.status)).toEqual([401, 401, 401]);
      const refused = [await attempt(b, onB, 3), await attempt(a, onA, 4)];
      expect(refused.map((r) => r.status)).toEqual([429, 429]);
      for (const r of refused)
        expect(r.html).toContain("Too many sign-in attempts from here. Wait 15 minutes.");
      // The refused ones never asked MOCO.
      expect(a.sandbox.requests.length + b.sandbox.requests.length).toBe(3);
    });

    it("share one registration limit per address, with the same Retry-After on both, and keep no address in clear", async () => {
      const { doors, clock } = await twoDoors(backend, { registrationsPerHour: 2 });
      const [a, b] = doors;
      expect([(await registerAt(a, ADDRESS)).status, (await registerAt(b, ADDRESS)).status]).toEqual([
        201, 201,
      ]);
      clock.now += 60_000;
      for (const door of [a, b, a]) {
        const refused = await registerAt(door, ADDRESS);
        expect(refused.status).toBe(429);
        expect(refused.retryAfter).toBe("3540");
        expect(refused.message).toBe("Too many client registrations from this address; try again in 3540 s.");
      }
      expect((await registerAt(b, "10.9.8.6")).status).toBe(201);
      clock.now += 3540_000;
      expect((await registerAt(b, ADDRESS)).status).toBe(201);
      const keys = (await backend.limitRows()).map((r) => r.key);
      expect(keys.filter((k) => k.startsWith("register-address:"))).toHaveLength(2);
      for (const key of keys) {
        expect(key).toMatch(/^[a-z-]+:[0-9a-f]{64}$/);
        expect(key).not.toContain(ADDRESS);
      }
    });

    it("share one registration rate for the whole server: 3 a minute over both, the 4th on either waits", async () => {
      const { doors, clock } = await twoDoors(backend, { registrationsPerMinute: 3 });
      const [a, b] = doors;
      const statuses = [];
      for (const [i, door] of [a, b, a].entries())
        statuses.push((await registerAt(door, `10.8.0.${i}`)).status);
      expect(statuses).toEqual([201, 201, 201]);
      clock.now += 1000;
      for (const door of [b, a]) {
        const refused = await registerAt(door, "10.8.1.1");
        expect(refused.status).toBe(429);
        expect(refused.retryAfter).toBe("59");
        expect(refused.message).toBe(
          "This server takes few client registrations at a time; try again in 59 s.",
        );
      }
      clock.now += 59_000;
      expect((await registerAt(b, "10.8.1.1")).status).toBe(201);
    });

    it("a flood from ever new addresses past the server-wide rate keeps no count per address", async () => {
      const { doors, clock } = await twoDoors(backend, { registrationsPerMinute: 2 });
      const [a, b] = doors;
      for (const door of [a, b])
        expect((await registerAt(door, `10.7.0.${door === a ? 1 : 2}`)).status).toBe(201);
      const perAddress = async () =>
        (await backend.limitRows()).filter((r) => r.key.startsWith("register-address:")).length;
      // The first refusal on each door learns the rate is spent (one count each); after that none.
      for (let i = 0; i < 40; i++) {
        const refused = await registerAt(i % 2 === 0 ? a : b, `10.7.1.${i}`);
        expect(refused.status).toBe(429);
        expect(refused.message).toMatch(
          /^This server takes few client registrations at a time; try again in \d+ s\.$/,
        );
      }
      expect(await perAddress()).toBe(4);
      clock.now += 60_000;
      expect((await registerAt(a, "10.7.2.1")).status).toBe(201);
    });
  });
}

/** A store whose counters fail, as a database that cannot be written would. */
class CannotCount extends SqliteGrantStore {
  override async countHit(): Promise<never> {
    throw new Error("disk I/O error");
  }
}

it("a store that cannot count: each door keeps its own limit (never none), and one warning says so", async () => {
  setLogLevel("warn");
  const stderr = captureStderr();
  try {
    const store = new CannotCount(join(dir, "cannot-count.sqlite"));
    stacks.push(await startStack({ store, trustProxy: 1, registrationsPerHour: 2, signInsPer15Minutes: 1 }));
    const door = stacks[0] as Stack;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await registerAt(door, ADDRESS)).status);
    expect(statuses).toEqual([201, 201, 429]);
    expect((await registerAt(door, ADDRESS)).retryAfter).toBe("3600");
    const s = await session(door);
    const signIns = [];
    for (let i = 0; i < 2; i++)
      signIns.push((await signIn(door, s, { api_key: `wrong-${i}-00000000` })).status);
    expect(signIns).toEqual([401, 429]);
    const warnings = stderr
      .text()
      .match(/cannot count sign-in and registration attempts \(disk I\/O error\)/g);
    expect(warnings).toHaveLength(1);
  } finally {
    stderr.stop();
  }
});
