import { afterEach, describe, expect, it } from "vitest";
import { MocoError } from "../../src/moco/errors.js";
import { deleteLead, getLead } from "../../src/moco/leads.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { clientFor, json, KEY, lead, startUpstream, type Upstream } from "../support/upstream.js";
import { mcpOver, textOf } from "./mcp-over.js";

/** Odd answers from MOCO (or something in front of it) that must not turn into a false success. */
let upstreams: Upstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
  upstreams = [];
});
const start = async (...args: Parameters<typeof startUpstream>) => {
  const u = await startUpstream(...args);
  upstreams.push(u);
  return u;
};

const failure = async (promise: Promise<unknown>): Promise<MocoError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MocoError)) throw new Error(`expected a MocoError, got ${String(error)}`);
  return error;
};

describe("only a 2xx is a success", () => {
  it("a 302 to a DELETE is not a success", async () => {
    const elsewhere = await start((_req, res) => json(res, 204, undefined));
    const up = await start((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/deals/1` });
      res.end();
    });
    const moco = clientFor(up.url);
    const error = await failure(deleteLead(moco, 1));
    expect(error.kind).toBe("redirect");
    expect(error.status).toBe(302);
    expect(error.mayHaveSucceeded).toBe(true);
    expect(error.message).toMatch(
      /redirect \(302\) and it was not followed; the DELETE may have been carried out/,
    );
    expect(elsewhere.requests).toEqual([]); // never followed
    await moco.close();
  });

  it("a 302 to a DELETE makes delete_lead report an error, not deleted: true", async () => {
    const up = await start((req, res) => {
      if (req.method === "GET") return json(res, 200, lead());
      res.writeHead(302, { location: "/login" });
      res.end();
    });
    const moco = clientFor(up.url);
    const mcp = await mcpOver(moco, up.url);
    // Without elicitation the first call is a preview with a confirm_token; the second deletes.
    const preview = await mcp.call("delete_lead", { id: 1 });
    const token = (preview.structuredContent as { confirm_token: string }).confirm_token;
    const result = await mcp.call("delete_lead", { id: 1, confirm_token: token });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/redirect/);
    expect(textOf(result)).not.toMatch(/"deleted":true/);
    expect(up.requests.map((r) => r.method).filter((m) => m !== "GET")).toEqual(["DELETE"]);
    await mcp.close();
    await moco.close();
  });

  it("a 301 to a GET is an error saying nothing was changed, and is not followed", async () => {
    const elsewhere = await start((_req, res) => json(res, 200, lead()));
    const up = await start((_req, res) => {
      res.writeHead(301, { location: `${elsewhere.url}/deals/1` });
      res.end();
    });
    const moco = clientFor(up.url);
    const error = await failure(getLead(moco, 1));
    expect(error.kind).toBe("redirect");
    expect(error.mayHaveSucceeded).toBe(false);
    expect(error.message).toMatch(/nothing was changed/);
    expect(elsewhere.requests).toEqual([]);
    await moco.close();
  });
});

describe("no lock-out by one answer", () => {
  for (const [label, header] of [
    ["Retry-After: 999999999", "999999999"],
    ["Retry-After: an HTTP date in 9999", "Fri, 31 Dec 9999 23:59:59 GMT"],
  ] as const) {
    it(`a 429 with ${label} is treated as a bare 429 and later calls still go through`, async () => {
      let first = true;
      const up = await start((_req, res) => {
        if (first) {
          first = false;
          return json(res, 429, { message: "Too many requests" }, { "retry-after": header });
        }
        json(res, 200, lead());
      });
      // 1,000 per 2 minutes: a bare 429 holds callers back 4 × 120 s / 1000 = 480 ms.
      const moco = clientFor(up.url, { maxRetries: 0 });
      const error = await failure(getLead(moco, 1));
      expect(error.kind).toBe("rate_limited");
      expect(error.message).toMatch(/beyond the 120 s cap; treated as an answer without Retry-After/);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(120);
      // The next call has 10 s: with the wait uncapped it would be refused at once as over budget.
      const next = await getLead(moco, 1, { deadline: Date.now() + 10_000 });
      expect(next.id).toBe(1);
      await moco.close();
    });
  }
});

describe("the shared limiter", () => {
  it("limiter.pause is capped at one rate window", async () => {
    let now = 0;
    const limiter = new RateLimiter({ limit: 10, windowMs: 1_000 }, () => now);
    limiter.pause(999_999_999_000);
    // Uncapped, any deadline short of year 33658 would be refused at once as over budget.
    const controller = new AbortController();
    const waiting = limiter.take({ deadline: 1_001, signal: controller.signal });
    now = 1_000;
    controller.abort(new Error("done"));
    await expect(waiting).rejects.toThrow("done");
    await expect(limiter.take({ deadline: 1_001 })).resolves.toBeTypeOf("function");
  });
});

describe("bounded parsing", () => {
  const deep = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;

  it("a lead nested 6,000 levels deep is refused with the path, not a stack overflow", async () => {
    const up = await start((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        `{"id":1,"name":"x","status":"pending","money":1,"currency":"CHF","created_at":"2026-01-05T09:00:00Z","updated_at":"2026-01-05T09:00:00Z","custom_properties":{"Notes":${deep(6000)}}}`,
      );
    });
    const moco = clientFor(up.url);
    const error = await failure(getLead(moco, 1));
    expect(error.kind).toBe("server");
    expect(error.message).toMatch(/nested more than 64 levels deep \(at custom_properties\.Notes\[0\]/);
    const mcp = await mcpOver(moco, up.url);
    const result = await mcp.call("get_lead", { id: 1 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/custom_properties\.Notes/);
    expect(textOf(result)).not.toMatch(/Maximum call stack/);
    await mcp.close();
    await moco.close();
  });

  it("data 64 levels deep is still read", async () => {
    const up = await start((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        `{"id":1,"name":"x","status":"pending","money":1,"currency":"CHF","created_at":"2026-01-05T09:00:00Z","updated_at":"2026-01-05T09:00:00Z","custom_properties":{"a":${deep(62)}}}`,
      );
    });
    const moco = clientFor(up.url);
    expect((await getLead(moco, 1)).id).toBe(1);
    await moco.close();
  });
});

describe("key scrubbing", () => {
  it("a success body echoing the client's key does not reach the model", async () => {
    const up = await start((_req, res) =>
      json(
        res,
        200,
        lead({ name: `Lead ${KEY}`, info: `token=${KEY}`, custom_properties: { [`k-${KEY}`]: [KEY] } }),
      ),
    );
    const moco = clientFor(up.url);
    const found = await getLead(moco, 1);
    expect(JSON.stringify(found)).not.toContain(KEY);
    expect(found.name).toBe("Lead [redacted]");
    const mcp = await mcpOver(moco, up.url);
    const result = await mcp.call("get_lead", { id: 1 });
    expect(result.isError).not.toBe(true);
    expect(JSON.stringify(result)).not.toContain(KEY);
    expect(textOf(result)).toContain("[redacted]");
    await mcp.close();
    await moco.close();
  });
});
