import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { errorOf, type Harness, sc, startHarness, text } from "../support/harness.js";

/** A passing 500 from MOCO: a read or an idempotent change is tried once more, a create never. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ client: { maxRetries: 3 } });
});
afterEach(() => {
  h.sandbox.faults.length = 0;
});
afterAll(() => h.close());

const pending = () => h.sandbox.store.deals.find((d) => d.status === "pending") as { id: number };
const sent = (method: string, from: number) =>
  h.sandbox.requests.slice(from).filter((r) => r.method === method);

describe("a single 500", () => {
  it("on a GET is retried, and the read succeeds", async () => {
    const { id } = pending();
    h.sandbox.faults.push({ kind: "status", status: 500, method: "GET", path: `/deals/${id}` });
    const from = h.sandbox.requests.length;
    const r = await h.call("get_lead", { id });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).lead.id).toBe(id);
    expect(sent("GET", from)).toHaveLength(2);
  });

  it("that comes back is retried only once, then reported", async () => {
    const { id } = pending();
    h.sandbox.faults.push({ kind: "status", status: 500, method: "GET", path: `/deals/${id}`, times: 5 });
    const from = h.sandbox.requests.length;
    const r = await h.call("get_lead", { id });
    expect(errorOf(r)).toMatchObject({ kind: "server", status: 500 });
    expect(text(r)).toMatch(/after 2 attempts/);
    expect(sent("GET", from)).toHaveLength(2);
  });

  it("on a PUT is retried like a 503", async () => {
    const { id } = pending();
    h.sandbox.faults.push({ kind: "status", status: 500, method: "PUT" });
    const from = h.sandbox.requests.length;
    const r = await h.call("update_lead", { id, info: "after a 500" });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sent("PUT", from)).toHaveLength(2);
    expect(h.sandbox.store.deal(id)?.info).toBe("after a 500");
  });

  it("on a POST is never retried, and says the lead MAY HAVE BEEN CREATED (MOCO may have stored it first)", async () => {
    const users = h.sandbox.store.users;
    const stages = h.sandbox.store.categories;
    h.sandbox.faults.push({ kind: "status", status: 500, method: "POST", path: "/deals" });
    const from = h.sandbox.requests.length;
    const r = await h.call("create_lead", {
      name: "After a 500",
      currency: "EUR",
      money: 1,
      reminder_date: "2026-12-01",
      user_id: users[0]?.id,
      deal_category_id: stages[0]?.id,
    });
    expect(errorOf(r).status).toBe(500);
    expect(errorOf(r).may_have_succeeded).toBe(true);
    expect(text(r)).toMatch(/MAY HAVE BEEN CREATED/);
    expect(text(r)).not.toMatch(/retry in a minute/);
    expect(sent("POST", from)).toHaveLength(1);
  });
});
