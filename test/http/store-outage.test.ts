import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { MirrorRegistry } from "../../src/leads/mirror/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import { openStore, resolveStoreSetting } from "../../src/store/index.js";
import type { StoreLocation } from "../../src/store/types.js";
import { selectTools, TOOL_NAMES } from "../../src/tools/index.js";
import { ownClient, startHttpServer } from "../../src/transports/http/index.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "../store/postgres-support.js";
import { startProxy } from "../store/tcp-proxy.js";
import { asHttp } from "../support/http-config.js";
import { makeClient, raw } from "./support.js";

/**
 * A team server on PostgreSQL loses its database mid-run and gets it back (a TCP proxy between the
 * server and PostgreSQL, cut and restored): /healthz stays up, /readyz fails and recovers without a
 * restart, list_leads answers from live MOCO meanwhile and says so, a write made meanwhile reaches MOCO,
 * and once the store is back list_leads answers from the mirror again, with that write in it.
 */
const skip = await skipReason();
const schema = randomSchema("moco_outage");
const KEY = "outage-key-5f2b9d7e1a";
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {});
});
afterAll(async () => {
  if (skip === undefined) await dropSchema(schema);
});

async function serve() {
  const sandbox = await startSandbox({ apiKey: KEY, leads: 60 });
  cleanup.push(() => sandbox.close());
  const target = new URL(storeUrl(schema));
  const proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
  cleanup.push(() => proxy.close());
  target.hostname = "127.0.0.1";
  target.port = String(proxy.port);
  const config = asHttp(
    loadConfig(
      ["--transport", "http", "--port", "0"],
      { MOCO_API_KEY: KEY, MOCO_BASE_URL: sandbox.url, MOCO_STORE: target.toString() },
      TOOL_NAMES,
    ),
  );
  const store = await openStore(resolveStoreSetting(target.toString()) as StoreLocation);
  cleanup.push(() => store.close());
  expect(store.available, store.problem).toBe(true);
  const registry = new MirrorRegistry({ store });
  cleanup.push(async () => registry.close());
  const moco = makeClient(sandbox.url, KEY);
  cleanup.push(() => moco.close());
  const handle = await startHttpServer(config, {
    clients: ownClient(moco),
    mirrors: async () => registry,
    version: "0.0.0-test",
    tools: selectTools(config),
  });
  cleanup.push(() => handle.close(1000));
  const client = new Client({ name: "outage-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${handle.url}/mcp`)));
  cleanup.push(() => client.close());
  return { sandbox, proxy, url: handle.url, client };
}

const get = (url: string) => raw(url, { method: "GET", headers: { "content-type": "" } });
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
const OPEN = { status: "open", per_page: 100 };

/** Polls `url` until it answers `status`, for at most `ms`; how long that took. */
async function statusWithin(url: string, status: number, ms: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await get(url)).status === status) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`${url} did not answer ${status} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.skipIf(skip !== undefined)("a PostgreSQL outage mid-run, over HTTP", () => {
  it("health stays up, readiness fails and recovers, answers stay right, the write made meanwhile is kept", async () => {
    const { sandbox, proxy, url, client } = await serve();
    const call = async (name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })) as CallToolResult;
    /** The ids of the open leads MOCO holds now. */
    const openInMoco = () =>
      sandbox.store.deals
        .filter((d) => d.status === "pending" || d.status === "potential")
        .map((d) => d.id)
        .sort((a, b) => a - b);
    const ids = (r: CallToolResult) =>
      ((r.structuredContent as { leads: { id: number }[] }).leads ?? [])
        .map((l) => l.id)
        .sort((a, b) => a - b);

    const before = await call("list_leads", OPEN);
    expect(before.isError, textOf(before)).toBeFalsy();
    expect(textOf(before)).toContain("from the lead mirror");
    expect(ids(before)).toEqual(openInMoco());
    expect((await get(`${url}/readyz`)).status).toBe(200);

    await proxy.cut();
    expect((await get(`${url}/healthz`)).status).toBe(200);
    await statusWithin(`${url}/readyz`, 503, 5000);

    // Live from MOCO, and saying so: not from the mirror.
    const during = await call("list_leads", OPEN);
    expect(during.isError, textOf(during)).toBeFalsy();
    expect(textOf(during)).toMatch(/leads read from MOCO \(\d+ requests?\)/);
    expect(textOf(during)).not.toContain("lead mirror");
    expect(ids(during)).toEqual(openInMoco());
    // History is not there to be had: said, not made up.
    const history = await call("lead_changes", { since: "2020-01-01" });
    expect(history.isError).toBe(true);
    expect(textOf(history)).toContain("The change history needs the lead store");
    expect(textOf(history)).toContain("cannot be used");

    // Writes go to MOCO: reported done only with MOCO's 2xx, there for everyone to read.
    const user = sandbox.store.users.find((u) => u.firstname === "Nicola");
    const stage = sandbox.store.categories.find((c) => c.name === "Kontaktieren");
    const from = sandbox.requests.length;
    const created = await call("create_lead", {
      name: "Made while the store was away",
      currency: "EUR",
      money: 4200,
      reminder_date: "2026-06-01",
      user_id: user?.id,
      deal_category_id: stage?.id,
    });
    expect(created.isError, textOf(created)).toBeFalsy();
    const [renamed] = openInMoco();
    const updated = await call("update_lead", { id: renamed, name: "Renamed while the store was away" });
    expect(updated.isError, textOf(updated)).toBeFalsy();
    const writes = sandbox.requests.slice(from).filter((r) => r.method !== "GET");
    expect(writes.map((r) => [r.method, r.path.replace(/\d+$/, "ID")])).toEqual([
      ["POST", "/deals"],
      ["PUT", "/deals/ID"],
    ]);
    for (const w of writes) expect(w.status >= 200 && w.status < 300, `${w.method} ${w.status}`).toBe(true);
    const made = sandbox.store.deals.find((d) => d.name === "Made while the store was away");
    expect(made).toBeDefined();
    expect(sandbox.store.deals.find((d) => d.id === renamed)?.name).toBe("Renamed while the store was away");

    await proxy.restore();
    const took = await statusWithin(`${url}/readyz`, 200, 15_000);
    console.log(`/readyz answered 200 again ${took} ms after the database came back, without a restart`);
    expect((await get(`${url}/healthz`)).status).toBe(200);

    // From the mirror again, and with both writes: the mirror synced after the outage before answering.
    const after = await call("list_leads", OPEN);
    expect(after.isError, textOf(after)).toBeFalsy();
    expect(textOf(after)).toContain("from the lead mirror");
    expect(ids(after)).toEqual(openInMoco());
    expect(ids(after)).toContain(made?.id);
    const rows = (after.structuredContent as { leads: { id: number; name: string }[] }).leads;
    expect(rows.find((l) => l.id === renamed)?.name).toBe("Renamed while the store was away");
    // And the history has them again, as seen by that sync.
    const since = await call("lead_changes", { since: "2020-01-01" });
    expect(since.isError, textOf(since)).toBeFalsy();
    expect(textOf(since)).toContain("Made while the store was away");
  }, 60_000);
});
