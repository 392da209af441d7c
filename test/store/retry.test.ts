import { describe, expect, it } from "vitest";
import { Retry } from "../../src/store/postgres/retry.js";

/** When a lost PostgreSQL store is tried again: on demand, one try at a time, ever further apart up to 10 s. */
describe("Retry", () => {
  function retry(succeedAfter = Number.POSITIVE_INFINITY) {
    let now = 1_000_000;
    const tries: number[] = [];
    const r = new Retry(
      async () => {
        tries.push(now);
        if (tries.length < succeedAfter) throw new Error("ECONNREFUSED");
      },
      () => now,
    );
    return {
      r,
      tries,
      at: (ms: number) => {
        now = 1_000_000 + ms;
      },
    };
  }

  it("tries a second after the loss, then after 2, 4, 8 and at most every 10 s, however often it is asked", async () => {
    const { r, tries, at } = retry();
    r.lost();
    // Asked every 100 ms for a minute: only the tries that are due happen.
    for (let ms = 0; ms <= 60_000; ms += 100) {
      at(ms);
      await r.tryAgain();
    }
    const gaps = tries.slice(1).map((t, i) => t - (tries[i] as number));
    expect(tries[0]).toBe(1_000_000 + 1000);
    expect(gaps.slice(0, 4)).toEqual([2000, 4000, 8000, 10_000]);
    expect(gaps.every((g) => g <= 10_000)).toBe(true);
    expect(tries.length).toBeLessThanOrEqual(9);
  });

  it("answers true once a try succeeds, and a new loss starts again at one second", async () => {
    const { r, tries, at } = retry(3);
    r.lost();
    at(500);
    expect(await r.tryAgain()).toBe(false);
    expect(tries).toHaveLength(0);
    at(1000);
    expect(await r.tryAgain()).toBe(false);
    at(3000);
    expect(await r.tryAgain()).toBe(false);
    at(7000);
    expect(await r.tryAgain()).toBe(true);
    expect(tries).toHaveLength(3);
    r.lost();
    at(7500);
    expect(await r.tryAgain()).toBe(false);
    at(8000);
    await r.tryAgain();
    expect(tries).toHaveLength(4);
  });

  it("callers asking while a try is under way join it: one try, one answer", async () => {
    let finish: () => void = () => {};
    let calls = 0;
    const r = new Retry(
      () =>
        new Promise<void>((resolve) => {
          calls++;
          finish = resolve;
        }),
      () => 0,
    );
    const answers = [r.tryAgain(), r.tryAgain(), r.tryAgain()];
    finish();
    expect(await Promise.all(answers)).toEqual([true, true, true]);
    expect(calls).toBe(1);
  });
});
