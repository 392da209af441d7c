import { afterEach, describe, expect, it } from "vitest";
import { MocoError } from "../../src/moco/errors.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { clientFor, json, lead, startUpstream, type Upstream } from "../support/upstream.js";

/** A write MOCO may be carrying out runs to its answer; a read, or a write not yet sent, is cancellable. */
let upstreams: Upstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
  upstreams = [];
});

/** Answers each request once the test releases it, so no test depends on a delay. */
async function gated() {
  const waiting: (() => void)[] = [];
  let arrived: () => void = () => {};
  let arrival = new Promise<void>((r) => {
    arrived = r;
  });
  const up = await startUpstream(async (_req, res) => {
    arrived();
    await new Promise<void>((release) => waiting.push(release));
    json(res, 200, lead());
  });
  upstreams.push(up);
  return {
    up,
    /** Resolves when the next request reached the upstream. */
    next: () => arrival,
    release() {
      arrival = new Promise<void>((r) => {
        arrived = r;
      });
      for (const fn of waiting.splice(0)) fn();
    },
  };
}

describe("cancellation and writes", () => {
  it("a PUT already sent to MOCO completes although the caller cancels", async () => {
    const g = await gated();
    const moco = clientFor(g.up.url);
    const controller = new AbortController();
    const put = moco.put("/deals/1", { money: 2 }, { signal: controller.signal });
    await g.next();
    controller.abort("client hung up");
    g.release();
    const res = await put;
    expect(res.status).toBe(200);
    expect(g.up.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["PUT /deals/1"]);
    await moco.close();
  });

  it("a GET is aborted when the caller cancels", async () => {
    const g = await gated();
    const moco = clientFor(g.up.url);
    const controller = new AbortController();
    const get = moco.get("/deals/1", { signal: controller.signal });
    await g.next();
    controller.abort("client hung up");
    const error = await get.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MocoError);
    expect((error as MocoError).kind).toBe("cancelled");
    g.release();
    await moco.close();
  });

  it("a POST still waiting for the rate budget is cancelled and never sent", async () => {
    const g = await gated();
    const moco = clientFor(g.up.url, { budget: new RateLimiter({ limit: 1, windowMs: 1000 }) });
    const first = moco.get("/deals/1");
    await g.next();
    const controller = new AbortController();
    const post = moco.post("/deals", { name: "x" }, { signal: controller.signal });
    controller.abort("client hung up");
    const error = await post.catch((e: unknown) => e);
    expect((error as MocoError).kind).toBe("cancelled");
    expect((error as MocoError).mayHaveSucceeded).toBe(false);
    g.release();
    await first;
    expect(g.up.requests.map((r) => r.method)).toEqual(["GET"]);
    await moco.close();
  });

  it("drain waits for a write in flight and returns nothing once it is answered", async () => {
    const g = await gated();
    const moco = clientFor(g.up.url);
    const post = moco.post("/deals", { name: "x" });
    await g.next();
    const drained = moco.drain(10_000);
    g.release();
    expect(await drained).toEqual([]);
    expect((await post).status).toBe(200);
    await moco.close();
  });

  it("drain names a write still unanswered when its time is up", async () => {
    const g = await gated();
    const moco = clientFor(g.up.url);
    const post = moco.post("/deals", { name: "x" });
    await g.next();
    expect(await moco.drain(50)).toEqual([{ method: "POST", path: "/deals" }]);
    g.release();
    await post;
    expect(await moco.drain(50)).toEqual([]);
    await moco.close();
  });
});
