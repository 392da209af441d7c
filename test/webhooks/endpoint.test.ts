import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { MirrorRegistry } from "../../src/leads/mirror/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import { openStore } from "../../src/store/index.js";
import { selectTools, TOOL_NAMES } from "../../src/tools/index.js";
import { ownClient, startHttpServer } from "../../src/transports/http/index.js";
import { accountReceiver } from "../../src/webhooks/index.js";
import { asHttp } from "../support/http-config.js";
import { apiLeads, makeClient } from "../support/mirror-helpers.js";
import { post, SECRET } from "../support/webhook-helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The real HTTP transport, guarded by a bearer token, in front of a sandbox account; webhooks on or off. */
async function serve(webhooks: boolean) {
  const sandbox = await startSandbox({ apiKey: "endpoint-key-5a1c" });
  cleanups.push(() => sandbox.close());
  const config = asHttp(
    loadConfig(
      ["--transport", "http", "--port", "0"],
      {
        MOCO_API_KEY: sandbox.apiKey,
        MOCO_BASE_URL: sandbox.url,
        MCP_HTTP_TOKEN: "a-token-for-mcp-only-0123456789",
      },
      TOOL_NAMES,
    ),
  );
  const moco = makeClient(sandbox);
  const store = await openStore({ kind: "memory" });
  const registry = new MirrorRegistry({ store, freshMs: 3_600_000 });
  cleanups.push(async () => {
    registry.close();
    await store.close();
    await moco.close();
  });
  const receiver = webhooks ? accountReceiver([SECRET], moco, async (m) => registry.forClient(m)) : undefined;
  const handle = await startHttpServer(config, {
    clients: ownClient(moco),
    mirrors: async () => registry,
    version: "0.0.0-test",
    tools: selectTools(config),
    webhooks: receiver,
  });
  cleanups.push(() => handle.close(1000));
  const mirror = registry.forClient(moco);
  await mirror.read();
  return {
    sandbox,
    mirror,
    receiver,
    url: `${handle.url}/webhooks/moco`,
    accountUrl: new URL(sandbox.url).origin,
  };
}

describe("the HTTP transport's /webhooks/moco", () => {
  it("takes a signed delivery without the bearer token MCP needs, and the change is in the mirror", async () => {
    const s = await serve(true);
    const deal = s.sandbox.store.deals[1];
    if (!deal) throw new Error("no lead");
    s.sandbox.store.updateDeal(deal, { name: "Changed in MOCO" });
    const res = await post(s.url, {
      target: "Deal",
      event: "update",
      body: s.sandbox.store.dealJson(deal),
      accountUrl: s.accountUrl,
    });
    expect(res.status).toBe(202);
    await s.receiver?.idle();
    const read = await s.mirror.read();
    expect(read.sync).toBeUndefined();
    expect(read.leads).toEqual(apiLeads(s.sandbox));
  });

  it("takes a lead of 20 KB (a long description): the public door's small form limits do not apply to it", async () => {
    const s = await serve(true);
    const deal = s.sandbox.store.deals[2];
    if (!deal) throw new Error("no lead");
    s.sandbox.store.updateDeal(deal, { info: "Ausführliche Beschreibung. ".repeat(800) });
    const body = s.sandbox.store.dealJson(deal);
    expect(JSON.stringify(body).length).toBeGreaterThan(20_000);
    const res = await post(s.url, { target: "Deal", event: "update", body, accountUrl: s.accountUrl });
    expect(res.status).toBe(202);
    await s.receiver?.idle();
    const read = await s.mirror.read();
    expect(read.sync).toBeUndefined();
    expect(read.leads).toEqual(apiLeads(s.sandbox));
  });

  it("refuses an unsigned delivery (401) before reading it", async () => {
    const s = await serve(true);
    const res = await post(s.url, {
      target: "Deal",
      event: "update",
      body: {},
      accountUrl: s.accountUrl,
      signature: "",
    });
    expect(res.status).toBe(401);
  });

  it("answers 404 when no webhook secret is configured", async () => {
    const s = await serve(false);
    const res = await post(s.url, { target: "Deal", event: "update", body: {}, accountUrl: s.accountUrl });
    expect(res.status).toBe(404);
  });
});
