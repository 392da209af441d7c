import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Is a delivery MOCO's? MOCO signs the raw body (hex HMAC-SHA256, keyed by the webhook secret shown
 * in MOCO) and stamps the delivery with X-Moco-Timestamp (epoch ms). The signature does not cover the
 * timestamp, nor the event or the author: the time window and the replay guard only narrow what a
 * replayed body can do. What keeps one harmless: applying a lead is idempotent (an older lead never
 * replaces a newer), a body is refused under an event other than its first (KindMemory), and a delete
 * is applied only once MOCO confirms it (apply.ts).
 */

export const SIGNATURE = /^[0-9a-f]{64}$/i;
/** The secret MOCO shows: 32 hex characters. */
export const SECRET = /^[0-9a-f]{32}$/i;

export interface Window {
  /** Older than this is stale. Default 5 min. */
  maxAgeMs: number;
  /** Further ahead than this is refused (clocks drift, but not by minutes). Default 1 min. */
  maxAheadMs: number;
}

export const WINDOW: Window = { maxAgeMs: 5 * 60_000, maxAheadMs: 60_000 };

export const sign = (secret: string, body: Uint8Array): string =>
  createHmac("sha256", secret).update(body).digest("hex");

/** True when `signature` is the body's HMAC under one of `secrets`, compared in constant time. */
export function signedBy(secrets: readonly string[], body: Uint8Array, signature: string): boolean {
  if (!SIGNATURE.test(signature)) return false;
  const given = Buffer.from(signature.toLowerCase(), "hex");
  let ok = false;
  // Every secret is tried, so the time taken does not say which one matched.
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret, body), "hex");
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

/** The delivery's time in epoch ms when it lies within the window around `now`, else undefined. */
export function freshTimestamp(header: string | undefined, now: number, window = WINDOW): number | undefined {
  if (header === undefined || !/^\d{1,16}$/.test(header)) return undefined;
  const at = Number(header);
  if (at < now - window.maxAgeMs || at > now + window.maxAheadMs) return undefined;
  return at;
}

/**
 * Signatures seen within the window: a second delivery with the same signature is a replay (or
 * MOCO's retry of one already taken). Bounded: entries leave when they leave the window, and past
 * `max` the oldest leave first, so a flood of valid deliveries cannot grow it.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly max = 10_000,
    private readonly windowMs = WINDOW.maxAgeMs + WINDOW.maxAheadMs,
  ) {}

  has(signature: string, now: number): boolean {
    this.expire(now);
    return this.seen.has(signature.toLowerCase());
  }

  /** Remembers a delivery once it was taken (not when it was refused: MOCO will send it again). */
  add(signature: string, now: number): void {
    this.expire(now);
    while (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(signature.toLowerCase(), now);
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(now: number): void {
    for (const [key, at] of this.seen) {
      if (at > now - this.windowMs) break; // insertion order is time order
      this.seen.delete(key);
    }
  }
}

/**
 * Which event (X-Moco-Event) each signature came with, remembered long after the replay window: the
 * signature covers the body only, so a captured body sent again under another event (an update's body
 * as a `delete`) still verifies. The same signature with another event is refused. Bounded
 * by `max` (the oldest leave first); forgetting one only lets a body through that apply.ts still checks.
 */
export class KindMemory {
  private readonly kinds = new Map<string, string>();

  constructor(private readonly max = 100_000) {}

  /** The event this signature came with before, when it differs from `event`. */
  conflict(signature: string, event: string): string | undefined {
    const seen = this.kinds.get(signature.toLowerCase());
    return seen !== undefined && seen !== event ? seen : undefined;
  }

  add(signature: string, event: string): void {
    const key = signature.toLowerCase();
    if (this.kinds.has(key)) return;
    while (this.kinds.size >= this.max) this.kinds.delete(this.kinds.keys().next().value as string);
    this.kinds.set(key, event);
  }
}
