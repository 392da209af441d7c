import { log } from "../log.js";
import type { Keyring } from "./crypto.js";
import { Attempts } from "./http-util.js";
import type { GrantStore } from "./store.js";

/**
 * The sign-in and registration limits, counted in the grant store: instances that share one store
 * (behind a load balancer) enforce one limit between them, rather than each its own, which would give
 * an attacker N times the attempts. The store sees a keyed hash of each address, never the address.
 * Every hit is also counted in this process: while the store cannot count, that count decides (the
 * limit per instance, never no limit), and one warning says so.
 */

export interface Verdict {
  allowed: boolean;
  /** Milliseconds until the key's window starts afresh. */
  resetInMs: number;
}

/** Counts one hit for `key` (an address, or "*" for everyone) and says whether it is within the limit. */
export type Counter = (key: string) => Promise<Verdict>;

export class Limits {
  private warned = false;

  constructor(
    private readonly store: GrantStore,
    private readonly keys: Keyring,
    readonly now: () => number,
  ) {}

  /** At most `max` hits per key in a fixed window of `windowMs` from the key's first hit. */
  counter(name: string, max: number, windowMs: number): Counter {
    const here = new Attempts(max, windowMs, this.now);
    return async (key) => {
      const allowedHere = here.take(key);
      const now = this.now();
      try {
        const hit = await this.store.countHit(`${name}:${this.keys.tag(key, "limit")}`, max, windowMs, now);
        return { allowed: !hit.over, resetInMs: Math.max(0, hit.resetAt - now) };
      } catch (error) {
        this.warn(error);
        return { allowed: allowedHere, resetInMs: here.resetIn(key) };
      }
    };
  }

  private warn(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    log(
      "warn",
      `oauth: the grant store cannot count sign-in and registration attempts (${error instanceof Error ? error.message : String(error)}); each instance counts its own until it can`,
    );
  }
}
