import { describe, expect, it } from "vitest";
import { HookQueue } from "../../src/webhooks/queue.js";
import { freshTimestamp, ReplayGuard, sign, signedBy } from "../../src/webhooks/verify.js";

const SECRET = "0123456789abcdef0123456789abcdef";

describe("verify", () => {
  it("accepts the body's HMAC under any configured secret, in either case, and nothing else", () => {
    const body = Buffer.from('{"id":1}');
    const signature = sign(SECRET, body);
    expect(signedBy([SECRET], body, signature)).toBe(true);
    expect(signedBy(["ffffffffffffffffffffffffffffffff", SECRET], body, signature.toUpperCase())).toBe(true);
    expect(signedBy([SECRET], Buffer.from('{"id":2}'), signature)).toBe(false);
    expect(signedBy([SECRET], body, signature.slice(0, 62))).toBe(false);
    expect(signedBy([], body, signature)).toBe(false);
  });

  it("takes a timestamp within 5 minutes back and 1 minute ahead only", () => {
    const now = 1_800_000_000_000;
    expect(freshTimestamp(String(now - 299_000), now)).toBe(now - 299_000);
    expect(freshTimestamp(String(now + 59_000), now)).toBe(now + 59_000);
    for (const stale of [String(now - 301_000), String(now + 61_000), "", "1e12", "-5", undefined])
      expect(freshTimestamp(stale, now)).toBeUndefined();
  });

  it("the replay guard forgets what left the window and never holds more than its cap", () => {
    const guard = new ReplayGuard(3, 1_000);
    guard.add("a", 0);
    expect(guard.has("A", 500)).toBe(true);
    expect(guard.has("a", 1_000)).toBe(false);
    for (const s of ["b", "c", "d", "e"]) guard.add(s, 2_000);
    expect(guard.size).toBe(3);
    expect(guard.has("b", 2_000)).toBe(false);
    expect(guard.has("e", 2_000)).toBe(true);
  });
});

describe("HookQueue", () => {
  it("applies one key's work in arrival order, other keys beside it, and refuses past its cap", async () => {
    const queue = new HookQueue(3, () => {});
    const done: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    expect(
      queue.offer(1, async () => {
        await gate;
        done.push("1a");
      }),
    ).toBe(true);
    expect(queue.offer(1, async () => void done.push("1b"))).toBe(true);
    expect(queue.offer(2, async () => void done.push("2"))).toBe(true);
    expect(queue.offer(3, async () => void done.push("3"))).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(done).toEqual(["2"]);
    release();
    await queue.idle();
    expect(done).toEqual(["2", "1a", "1b"]);
    expect(queue.size).toBe(0);
  });

  it("a failing piece of work is reported and does not stop the next of its key", async () => {
    const errors: unknown[] = [];
    const queue = new HookQueue(5, (e) => errors.push(e));
    const done: string[] = [];
    queue.offer(1, async () => {
      throw new Error("boom");
    });
    queue.offer(1, async () => void done.push("after"));
    await queue.idle();
    expect(done).toEqual(["after"]);
    expect(errors).toHaveLength(1);
  });
});
