import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../src/sandbox/index.js";
import { type Harness, type Json, sc, startHarness } from "../../support/harness.js";

/**
 * `query` words match where a word of the lead's name, company, person or info begins, after the same
 * folding on both sides: "Beispiel AG" is not found in a "Beispiel GmbH" lead because its info says
 * "Rahmenvertrag", and "ü" is not every lead with a "u" somewhere.
 */
let live: Harness;
let mirrored: Harness;
const made: Record<string, number> = {};

function seed(sandbox: Sandbox) {
  const { store } = sandbox;
  const base = {
    currency: "EUR",
    money: 1000,
    reminder_date: store.today,
    user_id: store.profileUserId,
    deal_category_id: store.categories[0]?.id,
  };
  const leads = {
    gmbh: { name: "Beispiel GmbH Website", info: "Rahmenvertrag verlängert" },
    ag: { name: "Beispiel AG Relaunch", info: "" },
    mueller: { name: "Mueller-Lüdenscheidt Angebot", info: "" },
    ticket: { name: "Wartung Kasse", info: "Siehe Ticket PRJ-4711 vom Kunden" },
  };
  for (const [key, fields] of Object.entries(leads)) {
    const result = store.createDeal({ ...base, ...fields });
    if (!result.ok) throw new Error(`seed ${key} failed`);
    made[key] = result.value.id;
  }
}

beforeAll(async () => {
  live = await startHarness();
  mirrored = await startHarness({ mirror: true });
  seed(live.sandbox);
  seed(mirrored.sandbox);
});
afterAll(async () => {
  await live.close();
  await mirrored.close();
});

async function found(h: Harness, query: string): Promise<number[]> {
  const r = await h.call("list_leads", { query, per_page: 100 });
  expect(r.isError).toBeFalsy();
  const data = sc(r) as Json;
  expect(data.complete).toBe(true);
  expect(data.total).toBeLessThanOrEqual(100);
  return (data.leads as { id: number }[]).map((l) => l.id);
}

/** Every lead with a word beginning with `start`, from the raw records, folded independently. */
function beginningWith(sandbox: Sandbox, start: string): number[] {
  const plain = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  return sandbox.store.deals
    .filter((d) => {
      const j = sandbox.store.dealJson(d);
      const hay = plain([j.name, j.company?.name, j.person?.name, j.info].join(" "));
      return hay.split(/[^\p{L}\p{N}]+/u).some((w) => w.startsWith(start));
    })
    .map((d) => d.id)
    .sort((a, b) => a - b);
}

describe.each([
  ["a live scan", () => live],
  ["the lead mirror", () => mirrored],
])("query words in %s", (_, harness) => {
  it('"Beispiel AG" finds the AG, not a GmbH whose info has "ag" inside a word', async () => {
    const ids = await found(harness(), "Beispiel AG");
    expect(ids).toContain(made.ag);
    expect(ids).not.toContain(made.gmbh);
  });

  it('"GmbH" and "Rahmen" still find the words they begin', async () => {
    expect(await found(harness(), "Beispiel GmbH")).toContain(made.gmbh);
    expect(await found(harness(), "rahmen")).toContain(made.gmbh);
    expect(await found(harness(), "vertrag")).not.toContain(made.gmbh);
  });

  it('"Müller" finds "Mueller-…" (and the other way round), "ller" does not', async () => {
    expect(await found(harness(), "Müller")).toContain(made.mueller);
    expect(await found(harness(), "lüdenscheidt")).toContain(made.mueller);
    expect(await found(harness(), "ller")).not.toContain(made.mueller);
  });

  it("id-ish text matches as written and by its number", async () => {
    expect(await found(harness(), "PRJ-4711")).toEqual([made.ticket]);
    expect(await found(harness(), "4711")).toEqual([made.ticket]);
  });

  it('"ü" finds the leads with a word beginning with u/ü, not every lead with a "u" inside', async () => {
    const h = harness();
    const expected = beginningWith(h.sandbox, "u");
    const all = h.sandbox.store.deals.length;
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all / 2);
    expect((await found(h, "ü")).sort((a, b) => a - b)).toEqual(expected);
  });
});
