import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerSecret, setLogLevel } from "../../src/log.js";
import { type Harness, startHarness, TEST_KEY } from "../support/harness.js";

/**
 * The API key must never appear in a tool result, its structured output, a stderr line or an MCP
 * log notification — across successes, every error kind and retries (which log).
 */
let h: Harness;
const stderr: string[] = [];
const notifications: string[] = [];
const results: string[] = [];

beforeAll(async () => {
  setLogLevel("debug");
  registerSecret(TEST_KEY);
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  h = await startHarness({ client: { requestTimeoutMs: 300 } });
  h.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    notifications.push(JSON.stringify(n));
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  setLogLevel("error");
  await h.close();
});

describe("secret hygiene", () => {
  it("keeps the API key out of results, stderr and MCP log notifications", async () => {
    const id = h.sandbox.store.deals[0]?.id as number;
    const user = h.sandbox.store.users[0]?.id as number;
    const category = h.sandbox.store.categories[0]?.id as number;
    h.sandbox.faults.push(
      { kind: "status", status: 503, times: 2, method: "GET", path: `/deals/${id}` },
      { kind: "rate_limit", times: 1, method: "GET", path: "/deals" },
      { kind: "status", status: 401, body: { message: `Unauthorized token ${TEST_KEY}` }, method: "PUT" },
      { kind: "reset_after_commit", method: "POST" },
      { kind: "malformed_json", method: "DELETE" },
    );
    const calls: [string, Record<string, unknown>][] = [
      ["get_lead", { id }],
      ["list_leads", { per_page: 2 }],
      ["update_lead", { id, money: 3 }],
      [
        "create_lead",
        {
          name: "S",
          currency: "EUR",
          money: 1,
          reminder_date: "2026-12-01",
          user_id: user,
          deal_category_id: category,
        },
      ],
      ["delete_lead", { id }],
      ["get_lead", { id: 123_456_789 }],
      ["create_lead", { name: "bad" }],
    ];
    for (const [name, args] of calls) results.push(JSON.stringify(await h.call(name, args)));
    expect(notifications.length, "retries are announced as MCP log notifications").toBeGreaterThan(0);
    expect(stderr.join("").length).toBeGreaterThan(0);
    for (const output of [...results, ...stderr, ...notifications]) expect(output).not.toContain(TEST_KEY);
    // The sandbox did receive the key: it was sent, just never shown.
    expect(h.sandbox.requests.length).toBeGreaterThan(5);
  });
});
