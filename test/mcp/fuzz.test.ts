import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../support/harness.js";

/**
 * Property-based fuzzing of every tool's arguments through the real server. Invalid arguments are
 * derived from each tool's published JSON Schema, so a new tool is fuzzed without a new test.
 */
type Schema = {
  type?: string | string[];
  pattern?: string;
  enum?: unknown[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
};

let h: Harness;
let tools: Tool[];
const counts: Record<string, number> = {};
beforeAll(async () => {
  // Hundreds of calls: lift the rate budget, which has its own tests.
  h = await startHarness({ config: { rateLimit: { limit: 1_000_000, windowMs: 120_000 } } });
  tools = (await h.client.listTools()).tools;
});
afterAll(async () => {
  await h.close();
  console.error(`fuzz cases: ${JSON.stringify(counts)}`);
});

const count = (key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** A value that breaks the field's schema: wrong type, or out of range, or off-pattern. */
function invalidFor(schema: Schema): fc.Arbitrary<unknown> {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const wrongType = fc.constantFrom<unknown>(
    ...[
      types.includes("string") ? null : "text",
      types.includes("number") || types.includes("integer") ? null : 42,
      types.includes("boolean") ? null : true,
      types.includes("array") ? null : ["x"],
      types.includes("object") ? null : { nested: 1 },
    ].filter((v) => v !== null),
  );
  const options: fc.Arbitrary<unknown>[] = [wrongType];
  if (schema.enum) options.push(fc.string().filter((s) => !schema.enum?.includes(s)));
  if (schema.pattern) {
    const re = new RegExp(schema.pattern);
    options.push(fc.string({ maxLength: 12 }).filter((s) => !re.test(s)));
  }
  if (types.includes("integer"))
    options.push(fc.double({ min: 0.1, max: 1e6, noNaN: true }).filter((n) => !Number.isInteger(n)));
  const min = schema.minimum ?? schema.exclusiveMinimum;
  if (min !== undefined) options.push(fc.integer({ min: -1_000_000, max: Math.ceil(min) - 1 }));
  if (schema.maximum !== undefined && schema.maximum < 1e9) {
    options.push(
      fc.integer({ min: Math.floor(schema.maximum) + 1, max: Math.floor(schema.maximum) + 1_000 }),
    );
  }
  return fc.oneof(...options);
}

describe("invalid arguments", () => {
  it("always give isError naming the exact field and send no request", async () => {
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) {
      const props = (tool.inputSchema as Schema).properties ?? {};
      const fields = Object.keys(props);
      if (fields.length === 0) continue;
      await fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(...fields)
            .chain((field) => invalidFor(props[field] as Schema).map((value) => ({ field, value }))),
          async ({ field, value }) => {
            const before = h.sandbox.requests.length;
            const result = await h.call(tool.name, { [field]: value });
            count(tool.name);
            expect(result.isError).toBe(true);
            // The SDK names the offending path last: "… at per_page" or "… at filters.status".
            expect(text(result)).toMatch(new RegExp(` at ${field}(\\.[\\w.]+)?$`, "m"));
            expect(h.sandbox.requests.length).toBe(before);
          },
        ),
        { numRuns: 60 },
      );
      // An unknown argument is refused too, never silently dropped.
      const before = h.sandbox.requests.length;
      const result = await h.call(tool.name, { definitely_not_a_field: 1 });
      count(tool.name);
      expect(result.isError).toBe(true);
      expect(text(result)).toContain('"definitely_not_a_field"');
      expect(h.sandbox.requests.length).toBe(before);
    }
  });
});

const date = fc
  .date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe("valid arguments", () => {
  it("list_leads sends exactly the expected GET /deals", async () => {
    const tagNames = h.sandbox.store.tags.filter((t) => t.context === "Deal").map((t) => t.name);
    // The account's tag list, which an empty page for asked tags reads once (cached) to name a typo.
    await h.call("get_lead_options");
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            status: fc.constantFrom("potential", "pending", "won", "lost", "dropped"),
            tags: fc.uniqueArray(fc.constantFrom(...tagNames), { minLength: 1, maxLength: 3 }),
            company_id: fc.integer({ min: 1, max: 1e9 }),
            closed: date.map((d) => `${d}..`),
            ids: fc.uniqueArray(fc.integer({ min: 1, max: 1e9 }), { minLength: 1, maxLength: 5 }),
            updated_after: fc
              .date({
                min: new Date("2020-01-01T00:00:00Z"),
                max: new Date("2030-01-01T00:00:00Z"),
                noInvalidDate: true,
              })
              .map((d) => d.toISOString().replace(/\.\d{3}Z$/, "Z")),
            page: fc.integer({ min: 1, max: 5 }),
            per_page: fc.integer({ min: 1, max: 100 }),
          },
          { requiredKeys: [] },
        ),
        async (args) => {
          const before = h.sandbox.requests.length;
          const result = await h.call("list_leads", args);
          count("list_leads valid");
          expect(result.isError, text(result)).toBeFalsy();
          // The history asks once in a while who the key's user is (GET /profile): not a write.
          const sent = h.sandbox.requests.slice(before).filter((r) => r.path !== "/profile");
          expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /deals"]);
          const query = Object.fromEntries(new URLSearchParams(sent[0]?.query));
          const expected: Record<string, string> = {
            page: String(args.page ?? 1),
            per_page: String(args.per_page ?? 25),
          };
          if (args.status) expected.status = args.status;
          if (args.tags) expected.tags = args.tags.join(",");
          if (args.company_id) expected.company_id = String(args.company_id);
          if (args.closed) expected.closed_from = args.closed.slice(0, 10);
          if (args.ids) expected.ids = args.ids.join(",");
          if (args.updated_after) expected.updated_after = args.updated_after;
          expect(query).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("get_lead sends exactly GET /deals/{id}", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), async (id) => {
        const before = h.sandbox.requests.length;
        await h.call("get_lead", { id });
        count("get_lead valid");
        expect(h.sandbox.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
          `GET /deals/${id}`,
        ]);
      }),
      { numRuns: 100 },
    );
  });

  it("create_lead sends exactly one POST /deals carrying exactly the arguments", async () => {
    const users = h.sandbox.store.users.filter((u) => u.active).map((u) => u.id);
    const stages = h.sandbox.store.categories.map((c) => c.id);
    const monthStart = date.map((d) => `${d.slice(0, 7)}-01`);
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            name: fc.string({ minLength: 1, maxLength: 40 }).filter((n) => n.trim() === n && n.length > 0),
            currency: fc.constantFrom("EUR", "CHF", "USD"),
            money: fc.double({ min: 0, max: 1e7, noNaN: true }),
            reminder_date: date,
            user_id: fc.constantFrom(...users),
            deal_category_id: fc.constantFrom(...stages),
            status: fc.constantFrom("potential", "pending", "won", "lost", "dropped"),
            info: fc.string({ maxLength: 80 }),
            closed_on: date,
            service_period_from: monthStart,
          },
          { requiredKeys: ["name", "currency", "money", "reminder_date", "user_id", "deal_category_id"] },
        ),
        async (args) => {
          const before = h.sandbox.requests.length;
          // The duplicate check skipped: what is sent is the subject here.
          await h.call("create_lead", { ...args, allow_duplicate: true });
          count("create_lead valid");
          const sent = h.sandbox.requests.slice(before);
          expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /deals"]);
          expect(sent[0]?.body).toEqual(args);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("update_lead reads the lead, then sends one PUT carrying exactly the changes", async () => {
    const ids = h.sandbox.store.deals.slice(0, 50).map((d) => d.id);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ids),
        fc
          .record(
            {
              money: fc.double({ min: 0, max: 1e7, noNaN: true }),
              reminder_date: date,
              info: fc.string({ maxLength: 80 }),
              status: fc.constantFrom("potential", "pending", "won", "lost", "dropped"),
              currency: fc.constantFrom("EUR", "CHF"),
            },
            { requiredKeys: [] },
          )
          .filter((changes) => Object.keys(changes).length > 0),
        async (id, changes) => {
          const before = h.sandbox.requests.length;
          const result = await h.call("update_lead", { id, ...changes });
          count("update_lead valid");
          expect(result.isError, text(result)).toBeFalsy();
          const sent = h.sandbox.requests.slice(before);
          expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /deals/${id}`, `PUT /deals/${id}`]);
          expect(sent[1]?.body).toEqual(changes);
        },
      ),
      { numRuns: 100 },
    );
  });
});
