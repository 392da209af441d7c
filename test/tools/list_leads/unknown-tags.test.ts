import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, sc, startHarness, text } from "../../support/harness.js";

/**
 * A tag no lead carries (a typo: "Wichtgi") selects nothing; when everything was read, the answer says
 * which asked tags no lead carries and which tags are in use, instead of a bare 0.
 */
let live: Harness;
let mirrored: Harness;
beforeAll(async () => {
  live = await startHarness();
  mirrored = await startHarness({ mirror: true });
});
afterAll(async () => {
  await live.close();
  await mirrored.close();
});

/** Tags on the sandbox's leads, most used first (ties by name), from the raw records. */
function tagsInUse(h: Harness): string[] {
  const counts = new Map<string, number>();
  for (const d of h.sandbox.store.deals) for (const t of d.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t]) => t);
}

describe("asked tags no lead carries", () => {
  it("from the mirror: names the unknown tag and up to 10 tags in use, most used first", async () => {
    const inUse = tagsInUse(mirrored);
    expect(inUse.length).toBeGreaterThan(0);
    const known = inUse[0] as string;
    const r = await mirrored.call("pipeline_summary", { tags: ["Wichtgi", known] });
    expect(r.isError).toBeFalsy();
    // The known tag matches leads: no hint then.
    expect(text(r)).not.toContain("No lead carries");
    const none = await mirrored.call("list_leads", { tags: ["Wichtgi"], sort: "name" });
    expect(sc(none)).toMatchObject({ total: 0, complete: true });
    const shown = inUse
      .slice(0, 10)
      .map((t) => `"${t}"`)
      .join(", ");
    expect(text(none)).toContain(
      `No lead carries the tag "Wichtgi"; tags in use (most used first): ${shown}.`,
    );
  });

  it("a tag carried by leads that other filters exclude gets no such hint", async () => {
    const known = tagsInUse(mirrored)[0] as string;
    const r = await mirrored.call("list_leads", { tags: [known], query: "zzzqqq-nothing" });
    expect(sc(r).total).toBe(0);
    expect(text(r)).not.toContain("No lead carries");
  });

  it("from a complete live scan: MOCO has no such lead, and the account's lead tags are named", async () => {
    const r = await live.call("list_leads", { tags: ["Wichtgi"], sort: "name" });
    expect(sc(r)).toMatchObject({ total: 0, complete: true });
    expect(text(r)).toContain('MOCO has no lead tag "Wichtgi"');
    const accountTags = live.sandbox.store.tags.filter((t) => t.context === "Deal").map((t) => t.name);
    expect(text(r)).toContain(`the account's lead tags: "${accountTags[0]}"`);
  });
});

describe("a plain tag filter MOCO applies itself (one page, no scan)", () => {
  it("an empty first page names the asked tag and the account's lead tags", async () => {
    const r = await live.call("list_leads", { tags: ["Wichtgi"] });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).leads).toEqual([]);
    expect(text(r)).toContain('MOCO has no lead tag "Wichtgi"');
    expect(text(r)).toContain("the account's lead tags: ");
  });

  it("a tag that selects leads gets no such note", async () => {
    const known = tagsInUse(live)[0] as string;
    const r = await live.call("list_leads", { tags: [known] });
    expect(sc(r).leads.length).toBeGreaterThan(0);
    expect(text(r)).not.toContain("MOCO has no lead tag");
  });
});
