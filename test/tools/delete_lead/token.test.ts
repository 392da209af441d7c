import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { checkToken, issueToken } from "../../../src/leads/confirm.js";
import type { MocoClient } from "../../../src/moco/client.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { selectTools, TOOL_NAMES } from "../../../src/tools/index.js";
import { type HttpHandle, ownClient, startHttpServer } from "../../../src/transports/http/index.js";
import { call, makeClient } from "../../http/support.js";
import { type Json, text } from "../../support/harness.js";
import { asHttp } from "../../support/http-config.js";

/**
 * delete_lead over stateless HTTP (no elicitation): two server instances on one MOCO account, as
 * behind a load balancer; the preview goes to one, the confirmed delete to the other.
 */
const KEY = "trust-http-key-8c2e4a6f0b1d";

interface Instance {
  handle: HttpHandle;
  moco: MocoClient;
  client: Client;
}

let sandbox: Sandbox;
let a: Instance;
let b: Instance;

async function instance(): Promise<Instance> {
  const config = loadConfig(
    ["--transport", "http", "--port", "0"],
    { MOCO_API_KEY: KEY, MOCO_BASE_URL: sandbox.url, MOCO_RATE_LIMIT: "100000" },
    TOOL_NAMES,
  );
  const moco = makeClient(sandbox.url, KEY);
  const handle = await startHttpServer(asHttp(config), {
    clients: ownClient(moco),
    version: "0.0.0-test",
    tools: selectTools(config),
  });
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StreamableHTTPClientTransport } = await import(
    "@modelcontextprotocol/sdk/client/streamableHttp.js"
  );
  const client = new Client({ name: "trust-http", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${handle.url}/mcp`)));
  await client.listTools();
  return { handle, moco, client };
}

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: KEY });
  a = await instance();
  b = await instance();
});
afterAll(async () => {
  for (const i of [a, b]) {
    await i.client.close().catch(() => {});
    await i.handle.close(1000);
    await i.moco.close();
  }
  await sandbox.close();
});

const sc = (r: CallToolResult) => r.structuredContent as Json;
const exists = (id: number) => sandbox.store.deals.some((d) => d.id === id);
const deletes = (from: number) => sandbox.requests.slice(from).filter((r) => r.method === "DELETE");
/** A pending lead no other test of this file uses. */
let next = 0;
function freshLead() {
  const lead = sandbox.store.deals.filter((d) => d.status === "pending")[next++];
  if (!lead) throw new Error("not enough pending leads in the seed");
  return lead;
}
const lastLine = (r: CallToolResult) => JSON.parse(text(r).split("\n").at(-1) ?? "{}").error as Json;

describe("delete_lead without elicitation (stateless HTTP)", () => {
  it("deletes nothing on the first call and returns the lead with a confirm_token", async () => {
    const lead = freshLead();
    const from = sandbox.requests.length;
    const r = await call(a.client, "delete_lead", { id: lead.id });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r)).toMatchObject({ deleted: false, lead: { id: lead.id, name: lead.name } });
    expect(sc(r).confirm_token).toMatch(/^\d+\.[\w-]{22}\.[\w-]{22}$/);
    expect(Date.parse(sc(r).expires_at) - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(text(r)).toContain("Not deleted yet");
    expect(exists(lead.id)).toBe(true);
    expect(deletes(from)).toEqual([]);
  });

  it("deletes on the second call with the token, even when it reaches another instance", async () => {
    const lead = freshLead();
    const preview = await call(a.client, "delete_lead", { id: lead.id });
    const token = sc(preview).confirm_token as string;
    const from = sandbox.requests.length;
    const r = await call(b.client, "delete_lead", { id: lead.id, confirm_token: token });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r)).toMatchObject({ deleted: true, lead: { id: lead.id } });
    expect(sc(r).confirm_token).toBeUndefined();
    expect(exists(lead.id)).toBe(false);
    expect(sandbox.requests.slice(from).map((q) => `${q.method} ${q.path}`)).toEqual([
      `GET /deals/${lead.id}`,
      `DELETE /deals/${lead.id}`,
    ]);
  });

  it("refuses a token issued for another lead, and deletes neither", async () => {
    const one = freshLead();
    const other = freshLead();
    const token = sc(await call(a.client, "delete_lead", { id: one.id })).confirm_token as string;
    const from = sandbox.requests.length;
    const r = await call(b.client, "delete_lead", { id: other.id, confirm_token: token });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^Nothing was deleted: the confirm_token was not issued for lead \d+/);
    expect(text(r)).toContain(`Call delete_lead with id ${other.id} alone for a new preview`);
    expect(lastLine(r).fields).toEqual({ confirm_token: ["other"] });
    expect(exists(one.id) && exists(other.id)).toBe(true);
    expect(deletes(from)).toEqual([]);
  });

  it("refuses an expired token (issued with a clock 6 minutes back)", async () => {
    const lead = freshLead();
    const now = sandbox.store.deals.find((d) => d.id === lead.id);
    if (!now) throw new Error("lead vanished");
    const { token } = issueToken(
      a.moco,
      { purpose: "delete", what: String(lead.id), state: now.updated_at },
      { now: Date.now() - 6 * 60_000 },
    );
    const from = sandbox.requests.length;
    const r = await call(b.client, "delete_lead", { id: lead.id, confirm_token: token });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^Nothing was deleted: the confirm_token expired at \d{4}-\d{2}-\d{2}T/);
    expect(exists(lead.id)).toBe(true);
    expect(deletes(from)).toEqual([]);
  });

  it("refuses a tampered token: a later expiry, a changed MAC, or garbage", async () => {
    const lead = freshLead();
    const token = sc(await call(a.client, "delete_lead", { id: lead.id })).confirm_token as string;
    const [exp, m1, m2] = token.split(".") as [string, string, string];
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    const cases: [string, string][] = [
      [`${Number(exp) + 3600}.${m1}.${m2}`, "other"],
      [`${exp}.${flip(m1)}.${m2}`, "other"],
      [`${exp}.${m1}.${flip(m2)}`, "changed"],
      ["not-a-token", "malformed"],
    ];
    const from = sandbox.requests.length;
    for (const [bad, reason] of cases) {
      const r = await call(b.client, "delete_lead", { id: lead.id, confirm_token: bad });
      expect(r.isError, bad).toBe(true);
      expect(text(r)).toMatch(/^Nothing was deleted: /);
      expect(lastLine(r).fields).toEqual({ confirm_token: [reason] });
    }
    expect(exists(lead.id)).toBe(true);
    expect(deletes(from)).toEqual([]);
  });

  it("refuses the token when the lead was changed in MOCO after the preview", async () => {
    const lead = freshLead();
    const token = sc(await call(a.client, "delete_lead", { id: lead.id })).confirm_token as string;
    const stored = sandbox.store.deals.find((d) => d.id === lead.id);
    if (!stored) throw new Error("lead vanished");
    const changed = sandbox.store.updateDeal(stored, { money: stored.money + 1 });
    expect(changed.ok).toBe(true);
    const from = sandbox.requests.length;
    const r = await call(b.client, "delete_lead", { id: lead.id, confirm_token: token });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain(`Nothing was deleted: lead ${lead.id} was changed in MOCO after the preview`);
    expect(exists(lead.id)).toBe(true);
    expect(deletes(from)).toEqual([]);
  });
});

describe("confirmation tokens are bound to the MOCO credentials", () => {
  it("a token issued with one API key does not pass with another key of the same account", () => {
    const subject = { purpose: "delete", what: "4711", state: "2026-01-01T00:00:00Z" };
    const mine = makeClient("http://127.0.0.1:9/api/v1", "key-one-1234567890");
    const theirs = makeClient("http://127.0.0.1:9/api/v1", "key-two-1234567890");
    const { token } = issueToken(mine, subject);
    expect(checkToken(mine, subject, token)).toEqual({ ok: true });
    expect(checkToken(theirs, subject, token)).toEqual({ ok: false, reason: "other" });
    expect(checkToken(mine, { ...subject, purpose: "update_leads" }, token)).toEqual({
      ok: false,
      reason: "other",
    });
    expect(token).not.toContain("key-one");
  });
});
