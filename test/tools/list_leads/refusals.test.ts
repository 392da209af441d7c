import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetReference } from "../../../src/moco/reference.js";
import { errorOf, type Harness, startHarness, text } from "../../support/harness.js";

/**
 * Arguments MOCO would answer with a silent empty list (or the scan would answer with everything)
 * are refused before a single lead is requested.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-11-25" } });
});
afterAll(() => h.close());

/** Calls a tool and returns its result with the paths of the requests it caused. */
async function calling(name: string, args: Record<string, unknown>) {
  const from = h.sandbox.requests.length;
  const r = await h.call(name, args);
  return { r, paths: h.sandbox.requests.slice(from).map((q) => q.path) };
}

describe("custom field names in filters", () => {
  const fields = () => h.sandbox.store.customPropertyDefinitions("Deal").map((d) => d.name);

  it("list_leads refuses an unknown name, listing the real ones, without asking MOCO for leads", async () => {
    for (const args of [
      { custom_properties: { Quele: "Website" } },
      { custom_properties: { Quele: "Website" }, query: "relaunch" }, // a scan, too
    ]) {
      const { r, paths } = await calling("list_leads", args);
      const error = errorOf(r);
      expect(error.kind).toBe("invalid_input");
      expect(text(r)).toMatch(/custom_properties: "Quele" is not a custom field of leads/);
      expect(error.fields.custom_properties).toEqual(fields());
      expect(text(r)).toContain(fields().join(", "));
      expect(paths.filter((p) => p.startsWith("/deals"))).toEqual([]);
    }
  });

  it("pipeline_summary refuses it in its filters the same way", async () => {
    const { r, paths } = await calling("pipeline_summary", {
      status: "pending",
      custom_properties: { Quelle: "Website", Budget: "50k" },
    });
    expect(errorOf(r).kind).toBe("invalid_input");
    expect(text(r)).toMatch(/"Budget" is not a custom field of leads/);
    expect(text(r)).not.toMatch(/"Quelle" is not/);
    expect(paths.filter((p) => p.startsWith("/deals"))).toEqual([]);
  });

  it("lets a real name through to MOCO", async () => {
    const { r, paths } = await calling("pipeline_summary", {
      custom_properties: { Quelle: "Website" },
    });
    expect(r.isError, text(r)).toBeFalsy();
    expect(paths).toContain("/deals");
  });

  it("sends the name unchecked when the key may not read the field definitions", async () => {
    forgetReference(h.moco);
    h.sandbox.faults.push({ kind: "status", status: 403, body: "", path: "/account/custom_properties" });
    const { r, paths } = await calling("list_leads", { custom_properties: { Quele: "Website" } });
    expect(r.isError, text(r)).toBeFalsy();
    expect(paths).toEqual(["/account/custom_properties", "/deals"]);
  });

  it("refuses separators MOCO's query syntax cannot carry: [ ] in a field name, a comma in a tag", async () => {
    for (const [name, args, message] of [
      ["list_leads", { custom_properties: { "Quelle][x": "1" } }, /cannot contain \[ or \]/],
      ["list_leads", { tags: ["Wichtig, Relaunch"] }, /tag filter cannot contain a comma/],
      ["pipeline_summary", { tags: ["a,b"] }, /tag filter cannot contain a comma/],
    ] as const) {
      const { r, paths } = await calling(name, args);
      expect(r.isError, name).toBe(true);
      expect(text(r)).toMatch(message);
      expect(paths).toEqual([]);
    }
  });
});

describe("search and follow-up arguments", () => {
  it("refuses calendar dates that do not exist, blank names and a month window backwards", async () => {
    for (const [name, args, message] of [
      ["list_leads", { created: "2026-02-30" }, /"2026-02-30" is not a real date/],
      ["list_leads", { reminder: "2026-13-01.." }, /"2026-13-01" is not a real date/],
      ["list_leads", { reminder: "..2026-04-31" }, /"2026-04-31" is not a real date/],
      ["list_leads", { reminder: "2026-05-01..2026-04-01" }, /the range ends before it starts/],
      ["list_leads", { user: "" }, /not an empty string/],
      ["list_leads", { user: "   " }, /not an empty string/],
      ["list_leads", { stage: "" }, /not an empty string/],
      ["pipeline_summary", { from: "2026-05", to: "2026-03" }, /to must not be before from/],
    ] as const) {
      const { r, paths } = await calling(name, args);
      expect(r.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(text(r)).toMatch(message);
      expect(paths).toEqual([]);
    }
  });

  it("still takes a one-month window and a user id", async () => {
    const month = await h.call("pipeline_summary", { from: "2026-03", to: "2026-03" });
    expect(month.isError, text(month)).toBeFalsy();
    const byId = await h.call("list_leads", { user: h.sandbox.store.users[1]?.id });
    expect(byId.isError, text(byId)).toBeFalsy();
  });
});
