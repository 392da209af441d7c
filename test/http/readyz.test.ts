import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { MirrorRegistry } from "../../src/leads/mirror/index.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { openStore, resolveStoreSetting } from "../../src/store/index.js";
import type { LeadStore, StoreLocation } from "../../src/store/types.js";
import { selectTools, TOOL_NAMES } from "../../src/tools/index.js";
import { type HttpHandle, ownClient, startHttpServer } from "../../src/transports/http/index.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "../store/postgres-support.js";
import { asHttp } from "../support/http-config.js";
import { makeClient, raw } from "./support.js";

/**
 * /readyz says whether this instance can serve: its lead store open, migrated and answering (no store
 * at all is ready). It never asks MOCO, and /healthz (the process is alive) never depends on the store.
 */
const skipPostgres = await skipReason();
const schemas: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "readyz-"));
let open: { handle: HttpHandle; sandbox: Sandbox; close: () => Promise<void> } | undefined;

afterEach(async () => {
  await open?.close();
  open = undefined;
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (skipPostgres === undefined) for (const s of schemas) await dropSchema(s);
});

/** The HTTP transport in front of a sandbox, with `store` (undefined: MOCO_STORE=off). */
async function serve(store: LeadStore | undefined) {
  const sandbox = await startSandbox({ apiKey: "readyz-key-8c1d" });
  const config = asHttp(
    loadConfig(
      ["--transport", "http", "--port", "0"],
      { MOCO_API_KEY: "readyz-key-8c1d", MOCO_BASE_URL: sandbox.url },
      TOOL_NAMES,
    ),
  );
  const moco = makeClient(sandbox.url, "readyz-key-8c1d");
  const registry = store && new MirrorRegistry({ store });
  const handle = await startHttpServer(config, {
    clients: ownClient(moco),
    mirrors: registry && (async () => registry),
    version: "0.0.0-test",
    tools: selectTools(config),
  });
  open = {
    handle,
    sandbox,
    close: async () => {
      await handle.close(1000);
      registry?.close();
      await store?.close();
      await moco.close();
      await sandbox.close();
    },
  };
  return open;
}

const get = (url: string) => raw(url, { method: "GET", headers: { "content-type": "" } });

/** A port nothing listens on (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const openAt = (url: string) => openStore(resolveStoreSetting(url) as StoreLocation);

describe("/readyz", () => {
  it("is 200 with a SQLite store, and asks MOCO nothing", async () => {
    const { handle, sandbox } = await serve(await openStore({ kind: "file", path: join(dir, "leads.db") }));
    const r = await get(`${handle.url}/readyz`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: "ready" });
    expect(sandbox.requests).toEqual([]);
  });

  it("is 200 without a store (MOCO_STORE=off)", async () => {
    const { handle } = await serve(undefined);
    expect((await get(`${handle.url}/readyz`)).status).toBe(200);
  });

  it("is 503 with a short reason when the PostgreSQL store cannot be reached; /healthz stays 200", async () => {
    const store = await openAt(`postgres://moco:secret-pw-1@127.0.0.1:${await closedPort()}/leads`);
    const { handle, sandbox } = await serve(store);
    const r = await get(`${handle.url}/readyz`);
    expect(r.status).toBe(503);
    expect(r.json).toEqual({ status: "unavailable", reason: "lead store unavailable" });
    expect(r.text).not.toContain("secret-pw-1");
    expect(r.text).not.toContain("127.0.0.1");
    const health = await get(`${handle.url}/healthz`);
    expect(health.status).toBe(200);
    expect(sandbox.requests).toEqual([]);
  });

  it("asks the store at most once a second", async () => {
    const store = await openStore({ kind: "memory" });
    let asked = 0;
    const ready = store.ready.bind(store);
    store.ready = () => {
      asked++;
      return ready();
    };
    const { handle } = await serve(store);
    for (let i = 0; i < 5; i++) expect((await get(`${handle.url}/readyz`)).status).toBe(200);
    expect(asked).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await get(`${handle.url}/readyz`)).status).toBe(200);
    expect(asked).toBe(2);
  });

  it.skipIf(skipPostgres !== undefined)("is 200 with a migrated PostgreSQL store", async () => {
    const schema = randomSchema("moco_readyz");
    schemas.push(schema);
    const store = await openAt(storeUrl(schema));
    expect(store.available, store.problem).toBe(true);
    const { handle } = await serve(store);
    const r = await get(`${handle.url}/readyz`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: "ready" });
  });
});
