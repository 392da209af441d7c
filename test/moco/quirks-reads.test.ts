import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { describeError } from "../../src/errors.js";
import { leadNotes } from "../../src/moco/comments.js";
import { MocoError } from "../../src/moco/errors.js";
import { getLead, parseLead } from "../../src/moco/leads.js";
import { leadJson } from "../fixtures/moco.js";
import { clientFor, json, startUpstream, type Upstream } from "../support/upstream.js";
import { mcpOver, textOf } from "./mcp-over.js";

/** Leads and answers as some MOCO accounts (or proxies before them) send them, read without failing. */
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

const failure = (fn: () => unknown): MocoError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof MocoError) return error;
    throw error;
  }
  throw new Error("expected a MocoError");
};

describe("one odd field does not make a lead unreadable", () => {
  it.each([
    ["tags null", { tags: null }, (l: Record<string, unknown>) => expect(l.tags).toEqual([])],
    ["custom_properties null", { custom_properties: null }, (l) => expect(l.custom_properties).toEqual({})],
    ["custom_properties []", { custom_properties: [] }, (l) => expect(l.custom_properties).toEqual({})],
    [
      "a user's first name null",
      { user: { id: 10, firstname: null, lastname: "Keller" } },
      (l) => expect(l.user).toMatchObject({ id: 10, lastname: "Keller" }),
    ],
    ["a user with only an id", { user: { id: 10 } }, (l) => expect(l.user).toMatchObject({ id: 10 })],
    [
      "a company's name and type null",
      { company: { id: 20, name: null, type: null } },
      (l) => expect(l.company).toMatchObject({ id: 20, name: "" }),
    ],
    [
      "a person's name null",
      { person: { id: 5, name: null } },
      (l) => expect(l.person).toEqual({ id: 5, name: "" }),
    ],
    [
      "a stage's probability null",
      { category: { id: 30, name: "Kontaktieren", probability: null } },
      (l) => expect(l.category).toEqual({ id: 30, name: "Kontaktieren", probability: 0 }),
    ],
    [
      "a stage's probability as text",
      { category: { id: 30, name: "Kontaktieren", probability: "30.0" } },
      (l) => expect(l.category).toEqual({ id: 30, name: "Kontaktieren", probability: 30 }),
    ],
    ["the name null", { name: null }, (l) => expect(l.name).toBe("")],
  ] as [string, Record<string, unknown>, (l: Record<string, unknown>) => void][])("%s", (_, patch, check) => {
    check(parseLead(leadJson(patch)) as Record<string, unknown>);
  });

  it("list_leads and pipeline_summary read a page holding such a lead", async () => {
    const odd = leadJson({
      id: 2,
      tags: null,
      custom_properties: [],
      user: { id: 10, firstname: null, lastname: "Keller" },
      company: { id: 20, name: null, type: null },
      category: { id: 30, name: "Kontaktieren", probability: null },
    });
    const up = await start((_req, res) => json(res, 200, [leadJson({ id: 1 }), odd], { "x-total": "2" }));
    const moco = clientFor(up.url);
    const mcp = await mcpOver(moco, up.url);
    const list = await mcp.call("list_leads", {});
    expect(list.isError, textOf(list)).toBeFalsy();
    expect(textOf(list)).toMatch(/^2 leads of 2 on page 1/);
    const summary = await mcp.call("pipeline_summary", {});
    expect(summary.isError, textOf(summary)).toBeFalsy();
    await mcp.close();
    await moco.close();
  });

  it.each(["currency", "status", "money"])(
    "a lead without a %s is refused naming the lead and where to fix it, not asking to call again",
    (field) => {
      const error = failure(() => parseLead(leadJson({ id: 385446, [field]: null })));
      expect(error.kind).toBe("unreadable");
      expect(error.message).toMatch(/lead 385446/);
      expect(error.message).toMatch(/fixed in MOCO/);
      expect(error.message).not.toMatch(/retry/i);
      // What the model reads: no "retry in a minute" beside "it stays so".
      const said = describeError(error).text;
      expect(said).toMatch(/Retrying will not help until it is fixed in MOCO/);
      expect(said).not.toMatch(/retry in a minute/);
    },
  );

  it("any other unreadable lead names its id and field", () => {
    const error = failure(() => parseLead(leadJson({ id: 77, money: "25000,50" })));
    expect(error.message).toMatch(/lead 77 .*money/);
    expect(error.message).not.toMatch(/retry/i);
  });

  it("a note by a user whose names are null is read", async () => {
    const up = await start((_req, res) =>
      json(
        res,
        200,
        [
          {
            id: 3,
            text: "Hi",
            created_at: "2026-01-05T09:00:00Z",
            user: { id: 1, firstname: null, lastname: "Abcd" },
          },
        ],
        { "x-total": "1" },
      ),
    );
    const moco = clientFor(up.url);
    const { notes } = await leadNotes(moco, 1);
    expect(notes).toEqual([{ id: 3, text: "Hi", user: "Abcd", created_at: "2026-01-05T09:00:00Z" }]);
    await moco.close();
  });
});

describe("timestamps without a time zone are MOCO's UTC", () => {
  it("gets a Z; one with a zone is kept as sent", () => {
    const lead = parseLead(
      leadJson({ created_at: "2024-01-01 08:00:00", updated_at: "2024-01-01T09:01:00.250" }),
    );
    expect(lead.created_at).toBe("2024-01-01T08:00:00Z");
    expect(lead.updated_at).toBe("2024-01-01T09:01:00.250Z");
    const zoned = parseLead(
      leadJson({ created_at: "2024-01-01T10:00:00+02:00", updated_at: "2024-01-01T09:01:00Z" }),
    );
    expect(zoned.created_at).toBe("2024-01-01T10:00:00+02:00");
    expect(zoned.updated_at).toBe("2024-01-01T09:01:00Z");
  });

  it("reads the same instant in New York as in UTC", () => {
    const tz = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      const lead = parseLead(leadJson({ updated_at: "2024-01-01T09:01:00" }));
      expect(Date.parse(lead.updated_at)).toBe(Date.UTC(2024, 0, 1, 9, 1, 0));
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});

describe("a compressed body nobody asked for", () => {
  const body = Buffer.from(JSON.stringify(leadJson({ id: 1, name: "Packed" })));
  it.each([
    ["gzip", gzipSync(body)],
    ["deflate", deflateSync(body)],
    ["deflate (raw)", deflateRawSync(body)],
    ["br", brotliCompressSync(body)],
  ])("%s is unpacked", async (name, packed) => {
    const up = await start((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": name.split(" ")[0] ?? "",
      });
      res.end(packed);
    });
    const moco = clientFor(up.url);
    expect((await getLead(moco, 1)).name).toBe("Packed");
    await moco.close();
  });

  it("is capped at maxResponseBytes once unpacked", async () => {
    const bomb = gzipSync(Buffer.from(`[${"0,".repeat(600_000)}0]`));
    const up = await start((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(bomb);
    });
    const moco = clientFor(up.url, { maxResponseBytes: 1024 * 1024 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const error = await getLead(moco, 1).catch((e: unknown) => e);
    expect((error as MocoError).message).toMatch(/exceeded 1 MB unpacked/);
    await moco.close();
  });

  it("an encoding this server cannot unpack is named", async () => {
    const up = await start((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "zstd" });
      res.end(Buffer.from([1, 2, 3]));
    });
    const moco = clientFor(up.url);
    const error = await getLead(moco, 1).catch((e: unknown) => e);
    expect((error as MocoError).message).toMatch(/Content-Encoding "zstd"/);
    await moco.close();
  });
});
