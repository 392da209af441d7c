import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../../support/harness.js";
import { type Json, money, summary, taker, users } from "./support.js";

/**
 * A list the text cuts ("and N more") never hides a group the filter asked for, and says what the
 * groups it leaves out add up to.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: "2026-12-01" } });
});
afterAll(() => h.close());
const take = taker(() => h);

describe("pipeline_summary text: a cut list never hides what was asked", () => {
  it("names an asked tag even when it is the smallest of many groups", async () => {
    const big = take(6);
    big.forEach((d, i) => {
      d.tags = ["Gross", `Big${i}`];
      d.money = 100_000;
    });
    const [small] = take(1);
    if (!small) throw new Error("a lead expected");
    small.tags = ["Klein"];
    small.money = 1;
    const ids = [...big, small].map((d) => d.id);
    const { data, line } = await summary(h, { ids, tags: ["Gross", "klein"], group_by: "tag" });
    const chf = (data.currencies as Json[])[0] as Json;
    expect(chf.groups.length).toBeGreaterThan(5 + 1);
    expect(line).toContain(`Klein 1 lead, ${money(1, "CHF")} total`);
    expect(line).toMatch(/Most leads by tag: .*Klein 1/);
  });

  it("names the owner of `user` when grouping by user", async () => {
    const [, , owner] = users(h);
    if (!owner) throw new Error("three users expected in the seed");
    const { data, line } = await summary(h, { user: owner.id, group_by: "user" });
    for (const c of data.currencies as Json[]) {
      expect(c.groups.map((g: Json) => g.key)).toEqual([owner.name]);
      expect(line).toContain(`${c.currency} by owner (leads, total, weighted): ${owner.name} `);
    }
  });

  it("says what the owners left out add up to: how many, their leads, total and weighted value", async () => {
    const all = users(h);
    expect(all.length).toBeGreaterThan(5);
    const deals = take(all.length);
    deals.forEach((d, i) => {
      d.user_id = (all[i] as { id: number }).id;
      d.status = "pending";
      d.money = 1000 * (i + 1);
    });
    const { data, line } = await summary(h, { ids: deals.map((d) => d.id), group_by: "user" });
    const groups = ((data.currencies as Json[])[0] as Json).groups as Json[];
    const rest = groups.slice(5);
    const n = rest.length;
    const sum = (k: string) => rest.reduce((s, g) => s + g[k], 0);
    expect(line).toContain(
      `and ${n} more owner${n === 1 ? "" : "s"}: ${sum("count")} lead${sum("count") === 1 ? "" : "s"}, ${money(sum("total"), "CHF")} total, ${money(sum("weighted"), "CHF")} weighted`,
    );
  });
});
