import { afterEach, describe, expect, it, vi } from "vitest";
import { errorOf, type Harness, sc, startHarness, text } from "../../support/harness.js";

/**
 * A refusal of as_of or compare_to names the earliest day the history can answer, and never a day
 * that would compare the pipeline with itself (today against today). When the history began today,
 * it says no comparison is possible yet and what is: lead_changes' view of MOCO's timestamps. The
 * clock (Date only) is frozen where the history begins.
 */
let h: Harness | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await h?.close();
  h = undefined;
});

const TODAY = "2026-12-07";

/** A server whose history began at `start` (its first sync), asked at `now`, both on the frozen clock. */
async function historyFrom(start: string, now = start): Promise<Harness> {
  vi.useFakeTimers({ toFake: ["Date"], now: new Date(start) });
  h = await startHarness({ mirror: true, sandbox: { today: TODAY } });
  const first = await h.call("pipeline_summary", {});
  expect(first.isError, text(first)).toBeFalsy();
  vi.setSystemTime(new Date(now));
  expect(h.mirror?.status().historyStart).toBe(new Date(start).toISOString());
  return h;
}

async function refused(harness: Harness, args: Record<string, unknown>) {
  const r = await harness.call("pipeline_summary", args);
  expect(r.isError).toBe(true);
  return { error: errorOf(r), text: text(r) };
}

describe("pipeline_summary's hints for days the history cannot answer", () => {
  it("compare_to before a history that began today: no comparison yet, and lead_changes' timestamps instead, not today", async () => {
    const harness = await historyFrom(`${TODAY}T09:00:00Z`, `${TODAY}T15:00:00Z`);
    const r = await refused(harness, { compare_to: "2026-12-06" });
    expect(r.error.kind).toBe("invalid_input");
    expect(r.error.fields).toEqual({});
    expect(r.text).toContain("No comparison is possible yet: the history knows no day before today.");
    expect(r.text).toContain(`From tomorrow on, compare_to ${TODAY} works.`);
    expect(r.text).toContain("lead_changes with since 2026-12-06 lists the leads MOCO's timestamps show");
    expect(r.text).not.toContain(`Give ${TODAY}`);
  });

  it("refuses compare_to today, which would compare the pipeline with itself", async () => {
    const harness = await historyFrom("2026-12-05T09:00:00Z", `${TODAY}T15:00:00Z`);
    const r = await refused(harness, { compare_to: TODAY });
    expect(r.error.kind).toBe("invalid_input");
    expect(r.text).toContain(
      `compare_to: ${TODAY} is today (${TODAY}): that compares the pipeline with itself`,
    );
    expect(r.error.fields).toEqual({ compare_to: ["2026-12-05"] });
    expect(r.text).toContain("Give a day from 2026-12-05 to 2026-12-06.");
  });

  it("refuses compare_to equal to as_of, naming the days before it the history knows", async () => {
    const harness = await historyFrom("2026-12-04T09:00:00Z", `${TODAY}T15:00:00Z`);
    const r = await refused(harness, { as_of: "2026-12-06", compare_to: "2026-12-06" });
    expect(r.text).toContain(
      "compare_to: 2026-12-06 is as_of (2026-12-06): that compares the pipeline with itself",
    );
    expect(r.text).toContain("Give a day from 2026-12-04 to 2026-12-05.");
  });

  it("a compare_to before the history names its first day as the earliest", async () => {
    const harness = await historyFrom("2026-12-05T09:00:00Z", `${TODAY}T15:00:00Z`);
    const r = await refused(harness, { compare_to: "2026-12-01" });
    expect(r.text).toContain("the lead history begins 2026-12-05T09:00:00.000Z");
    expect(r.error.fields).toEqual({ compare_to: ["2026-12-05"] });
    expect(r.text).toContain("Give a day from 2026-12-05 to 2026-12-06.");
    const ok = await harness.call("pipeline_summary", { compare_to: "2026-12-05" });
    expect(ok.isError, text(ok)).toBeFalsy();
    expect(sc(ok).compared).toBeDefined();
  });

  it("as_of before a history that began today: no past day yet, the present and the timestamps instead", async () => {
    const harness = await historyFrom(`${TODAY}T09:00:00Z`, `${TODAY}T15:00:00Z`);
    const r = await refused(harness, { as_of: "2026-12-06" });
    expect(r.error.fields).toEqual({});
    expect(r.text).toContain("No past day can be shown yet: the history began today.");
    expect(r.text).toContain("pipeline_summary without as_of gives the present");
    expect(r.text).toContain("lead_changes with since 2026-12-06");
    expect(r.text).not.toContain(`Give ${TODAY}`);
  });
});
