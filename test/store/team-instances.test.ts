import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { connectTo, type Instance, startInstances, stopInstances, textOf } from "../support/instances.js";
import { maxInWindow, recordArrivals } from "./budget-contract.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "./postgres-support.js";

/**
 * A team server as deployed: three built instances (HTTP, per-request credentials) on one PostgreSQL
 * store, in front of two MOCO accounts that each enforce MOCO's 120 requests per 2 minutes (two keys,
 * so two mirror scopes). 300 tool calls at once, spread over the instances and both accounts: MOCO
 * never answers 429, every call gets an answer (or the budget's own refusal, which says when to
 * retry), and each scope's leads are read in full exactly once, by one instance, for all three. Then
 * more live reads than the budget has left: those past it are refused by the budget, none by MOCO.
 */
const LIMIT = 120;
const WINDOW_MS = 120_000;
const CALLS = 300;
const skipPostgres = await skipReason();
const schema = randomSchema();

const instances: Instance[] = [];
const clients: Client[] = [];
const sandboxes: Sandbox[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await stopInstances(instances);
  await Promise.all(sandboxes.map((s) => s.close()));
  if (skipPostgres === undefined) await dropSchema(schema);
});

interface Account {
  sandbox: Sandbox;
  headers: Record<string, string>;
}

async function account(key: string, leads: number): Promise<Account> {
  const sandbox = await startSandbox({
    apiKey: key,
    leads,
    today: "2026-03-04",
    rateLimit: { limit: LIMIT, windowMs: WINDOW_MS },
  });
  sandboxes.push(sandbox);
  return { sandbox, headers: { "X-Moco-Api-Key": key, "X-Moco-Base-Url": sandbox.url } };
}

/** The first page of a full scan: every lead, 100 per page, nothing filtered (src/leads/sync.ts). */
function startsFullScan(query: string): boolean {
  const q = new URLSearchParams(query);
  const keys = [...q.keys()];
  return (
    q.get("per_page") === "100" &&
    (q.get("page") ?? "1") === "1" &&
    keys.every((k) => k === "page" || k === "per_page")
  );
}

/** The i-th call of the mix: mirror reads mostly, some live reads by id. */
function callOf(i: number, ids: number[]): { name: string; arguments: Record<string, unknown> } {
  const id = ids[i % ids.length] as number;
  switch (i % 6) {
    case 0:
      return { name: "list_leads", arguments: { status: "open", sort: "money", per_page: 5 } };
    case 1:
      return { name: "pipeline_summary", arguments: {} };
    case 2:
      return { name: "list_leads", arguments: { query: "a", per_page: 5, page: (i % 3) + 1 } };
    case 3:
      return { name: "lead_changes", arguments: { since: "2026-01-01", limit: 5 } };
    case 4:
      return { name: "get_lead", arguments: { id } };
    default:
      return { name: "list_leads", arguments: { ids: [id], per_page: 5 } };
  }
}

type Outcome = { kind: "answered" } | { kind: "refused" } | { kind: "failed"; what: string };

/** Success, or the rate budget's own refusal; anything else (a server error, a thrown call) fails. */
async function outcomeOf(call: Promise<unknown>, what: string): Promise<Outcome> {
  try {
    const r = (await call) as CallToolResult;
    if (!r.isError) return { kind: "answered" };
    const text = textOf(r);
    if (/The MOCO rate budget is exhausted \(120 requests per 120 s\); retry in \d+ s/.test(text))
      return { kind: "refused" };
    return { kind: "failed", what: `${what}: ${text.slice(0, 300)}` };
  } catch (error) {
    return { kind: "failed", what: `${what}: threw ${String(error)} (${String((error as Error).cause)})` };
  }
}

type Pair = { client: Client; n: number; a: number };

/** The three instances on a fresh schema, two SDK clients on each per account (people behind one balancer). */
async function team(accounts: Account[]): Promise<Pair[]> {
  instances.push(
    ...(await startInstances(
      3,
      {
        MOCO_STORE: storeUrl(schema),
        MOCO_RATE_LIMIT: String(LIMIT),
        MCP_ALLOW_BASE_URL_HEADER: "true",
        MOCO_TODAY: "2026-03-04",
        MOCO_LOG_LEVEL: "info",
      },
      ["--per-request-credentials"],
    )),
  );
  return Promise.all(
    instances.flatMap((instance, n) =>
      accounts.flatMap((acct, a) =>
        [0, 1].map(async () => {
          const client = await connectTo(instance, acct.headers);
          clients.push(client);
          return { client, n, a };
        }),
      ),
    ),
  );
}

/** `count` calls at once, the i-th on pairs[i % pairs.length]; every outcome, in order. */
function fire(pairs: Pair[], count: number, callFor: (i: number, pair: Pair) => ReturnType<typeof callOf>) {
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const pair = pairs[i % pairs.length] as Pair;
      const call = callFor(Math.floor(i / pairs.length), pair);
      return outcomeOf(pair.client.callTool(call), `instance ${pair.n}, account ${pair.a}, ${call.name}`);
    }),
  );
}

function tally(outcomes: Outcome[]) {
  const failed = outcomes.flatMap((o) => (o.kind === "failed" ? [o.what] : []));
  expect(failed.slice(0, 5)).toEqual([]);
  const answered = outcomes.filter((o) => o.kind === "answered").length;
  const refused = outcomes.filter((o) => o.kind === "refused").length;
  expect(answered + refused).toBe(outcomes.length);
  return { answered, refused };
}

/** The account's sandbox saw no 429, at most LIMIT in any window, and one full scan of its leads. */
function checkAccount(acct: Account, arrivals: number[], a: number): void {
  const { sandbox } = acct;
  expect(sandbox.stats.rateLimited, `account ${a}: 429s`).toBe(0);
  expect(maxInWindow(arrivals, WINDOW_MS), `account ${a}: most in a window`).toBeLessThanOrEqual(LIMIT);
  const full = sandbox.requests.filter(
    (r) => r.method === "GET" && r.path === "/deals" && startsFullScan(r.query),
  );
  expect(full, `account ${a}: full scans begun`).toHaveLength(1);
  const fullPages = sandbox.requests.filter((r) => {
    const q = new URLSearchParams(r.query);
    return r.path === "/deals" && q.get("per_page") === "100" && !q.has("updated_after") && !q.has("ids");
  });
  expect(fullPages, `account ${a}: pages of full scans`).toHaveLength(
    Math.ceil(sandbox.store.deals.length / 100),
  );
}

describe.skipIf(skipPostgres !== undefined)("three instances of a team server on PostgreSQL", () => {
  it("answer 300 concurrent calls for two accounts limited to 120 per 120 s: 0 × 429, each scope read in full once, live reads past the budget refused by it", async () => {
    const accounts = [
      await account("team-key-a-6f1d93c2e8", 1_200),
      await account("team-key-b-0a7e4b5d21", 300),
    ];
    const arrivals = accounts.map((a) => recordArrivals(a.sandbox));
    const pairs = await team(accounts);
    const ids = accounts.map((a) => a.sandbox.store.deals.slice(0, 40).map((d) => d.id));
    const first = tally(await fire(pairs, CALLS, (i, { a }) => callOf(i, ids[a] as number[])));
    // The mirror serves most of them: far fewer requests than calls.
    expect(first.answered).toBeGreaterThanOrEqual(CALLS / 2);
    const used = accounts.map((a) => a.sandbox.requests.length);

    // Then 150 live reads of the second account at once, more than its budget has left: those past it
    // are refused by the budget (saying when to retry), none by MOCO.
    const second = pairs.filter((p) => p.a === 1);
    const live = tally(
      await fire(second, 150, (i) => ({ name: "get_lead", arguments: { id: ids[1]?.[i % 40] as number } })),
    );
    expect(live.refused).toBeGreaterThan(0);
    expect(live.answered).toBeGreaterThan(0);
    for (const [a, acct] of accounts.entries()) checkAccount(acct, arrivals[a] as number[], a);
    console.log(
      `3 instances, 2 accounts (1,200 and 300 leads, ${LIMIT} per ${WINDOW_MS / 1000} s each), ${CALLS} calls at once: ` +
        `${first.answered} answered, ${first.refused} refused by the budget; MOCO saw ${used.join(" + ")} requests. ` +
        `Then 150 get_lead at once on the second: ${live.answered} answered, ${live.refused} refused by the budget; ` +
        `${accounts.map((a) => a.sandbox.stats.rateLimited).join(" + ")} × 429 in all`,
    );
  }, 90_000);
});
