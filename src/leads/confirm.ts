import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { MocoClient } from "../moco/client.js";
import type { LeadStore } from "../store/types.js";
import type { LeadsContext } from "./context.js";

/**
 * Confirmation tokens: proof that a caller saw a preview of exactly this write before asking for it.
 * A client that cannot ask the human (every stateless HTTP client) previews first and gets a token;
 * only a second call carrying it writes. The token is an HMAC, so any instance behind a load balancer
 * can check it without shared state, and it is bound to the MOCO credentials of the call: a token
 * issued for one account, or one key, is worth nothing with another. That a token was spent is shared
 * state, though: it is kept in the store, so instances sharing one confirm one write per token between
 * them (spendToken).
 *
 * Layout: `<expiry, epoch ms>[.<mark>].<mac of what>.<mac of what and its state>`. Two MACs so a refusal
 * can say why: another subject (or an altered token), or the same subject whose state changed since. The
 * expiry in ms makes each preview's token its own: a token is spent once (spendToken), and a preview
 * made again right after must not hand out the spent one. The mark (optional, a number the first MAC
 * covers) lets a check tell which parts of a subject changed: update_leads puts the newest updated_at
 * of the previewed leads there (MOCO's clock), so a lead updated later changed after the preview.
 */
export const CONFIRM_TTL_MS = 5 * 60_000;

export interface Confirmation {
  /** What the token allows, e.g. "delete"; a token for one purpose never passes for another. */
  purpose: string;
  /** The subject: which lead(s) and which change, canonical text. */
  what: string;
  /** The subject's state when previewed (updated_at values): any edit in between voids the token. */
  state: string;
  /** A whole number carried in the token and covered by its first MAC, read back by `tokenMark`. */
  mark?: number;
}

export type TokenCheck =
  | { ok: true }
  | { ok: false; reason: "malformed" | "other" | "expired" | "changed"; expiredAt?: string };

export interface ClockOptions {
  /** Epoch ms to issue or check at (tests); default now. */
  now?: number;
  ttlMs?: number;
}

/** The HMAC key of a MOCO client: derived from its credentials by the client, never the key itself. */
const keyOf = (moco: MocoClient): Buffer => moco.secret("confirm");

const mac = (key: Buffer, ...parts: string[]) =>
  createHmac("sha256", key).update(parts.join("\0")).digest().subarray(0, 16).toString("base64url");

export function issueToken(
  moco: MocoClient,
  c: Confirmation,
  { now = Date.now(), ttlMs = CONFIRM_TTL_MS }: ClockOptions = {},
): { token: string; expires_at: string } {
  const key = keyOf(moco);
  const exp = String(Math.floor(now + ttlMs));
  const head = c.mark === undefined ? exp : `${exp}.${c.mark}`;
  const token = `${head}.${mac(key, c.purpose, head, c.what)}.${mac(key, c.purpose, head, c.what, c.state)}`;
  return { token, expires_at: shownExpiry(exp) };
}

/** The expiry as the caller reads it, to the second (rounded down: never later than the real one). */
const shownExpiry = (exp: string) => `${new Date(Number(exp)).toISOString().slice(0, 19)}Z`;

const equal = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

const TOKEN = /^(\d{1,15})(?:\.(\d{1,15}))?\.([\w-]{22})\.([\w-]{22})$/;

/** The mark a token carries; trust it only after checkToken found the token's subject ("changed" or ok). */
export function tokenMark(token: string): number | undefined {
  const mark = TOKEN.exec(token.trim())?.[2];
  return mark === undefined ? undefined : Number(mark);
}

export function checkToken(
  moco: MocoClient,
  c: Confirmation,
  token: string,
  { now = Date.now() }: ClockOptions = {},
): TokenCheck {
  const m = TOKEN.exec(token.trim());
  if (!m) return { ok: false, reason: "malformed" };
  const [, exp = "", mark, what = "", state = ""] = m;
  const head = mark === undefined ? exp : `${exp}.${mark}`;
  const key = keyOf(moco);
  // The first MAC covers the expiry and the mark, so changing either makes the token "other", never valid.
  if (!equal(what, mac(key, c.purpose, head, c.what))) return { ok: false, reason: "other" };
  const expiredAt = shownExpiry(exp);
  if (Number(exp) <= now) return { ok: false, reason: "expired", expiredAt };
  if (!equal(state, mac(key, c.purpose, head, c.what, c.state))) return { ok: false, reason: "changed" };
  return { ok: true };
}

/**
 * Tokens spent in this process, each until its expiry. The MACs prove what a token allows, not that
 * it was not used yet: a sequential reuse fails on the changed state, but two runs sent at once would
 * both pass the check. Claiming synchronously right after the check (no await in between) lets only
 * the first of this process through; spendToken then records the token in the store, which instances
 * sharing it (one SQLite file, one PostgreSQL schema) consult alike.
 */
const spent = new Map<string, number>();

/** Marks a checked token as used; false when this process already used it (and it has not expired). */
function claimToken(token: string, { now = Date.now() }: ClockOptions = {}): boolean {
  for (const [t, expiresMs] of spent) if (expiresMs <= now) spent.delete(t);
  const key = token.trim();
  if (spent.has(key)) return false;
  spent.set(key, expiryOf(key) ?? now + CONFIRM_TTL_MS);
  return true;
}

/** Gives a claimed token back, when the run it confirmed wrote nothing (a retry may use it). */
function releaseToken(token: string): void {
  spent.delete(token.trim());
}

const expiryOf = (token: string): number | undefined => {
  const exp = Number(token.slice(0, token.indexOf(".")));
  return Number.isFinite(exp) && exp > 0 ? exp : undefined;
};

/** The store's record of spent tokens (LeadStore.claim), shared by every instance using the store. */
export type SpentTokens = Pick<LeadStore, "available" | "claim" | "unclaim" | "outages">;

/**
 * How long the store keeps a spent token past its expiry: an instance whose clock is behind the
 * issuer's still takes the token as valid for that long, and must still find it spent.
 */
const SKEW_MARGIN_MS = CONFIRM_TTL_MS;

/** The store keeps a token's SHA-256, never the token: a row read from it confirms nothing. */
const storeKey = (token: string) => createHash("sha256").update(token.trim()).digest("hex");

/**
 * - spent: this call may write with the token (it is recorded as used);
 * - used: another call of this process, or of an instance sharing the store, already did;
 * - unrecorded: the store failed while recording it, or is out of use but comes back by itself
 *   (PostgreSQL: LeadStore.outages), so whether another instance may also use it is unknown: nothing
 *   may be written, and a retry is recorded once the store answers again. A store that does not come
 *   back (a failed SQLite file) is out of use until a restart: a retry is then guarded by this process
 *   alone, as without a store.
 */
export type Spend = "spent" | "used" | "unrecorded";

/**
 * Spends a token checkToken accepted. Call it right after the check, with no await in between: the
 * claim in this process happens before its first await. Then the store is asked, when the call has
 * one that works; without (MOCO_STORE=off, or the store failed) this process's claim is the guard.
 */
export async function spendToken(token: string, ctx: Pick<LeadsContext, "mirror">): Promise<Spend> {
  if (!claimToken(token)) return "used";
  try {
    const shared = (await ctx.mirror())?.spentTokens;
    if (shared && !shared.available && shared.outages !== undefined) {
      // Other instances may reach it meanwhile and spend the token there: wait for it, never guess.
      releaseToken(token);
      return "unrecorded";
    }
    if (!shared?.available) return "spent";
    const until = (expiryOf(token.trim()) ?? Date.now() + CONFIRM_TTL_MS) + SKEW_MARGIN_MS;
    if (await shared.claim(storeKey(token), until)) return "spent";
    releaseToken(token); // the store decides while it answers; this process keeps no other opinion
    return "used";
  } catch {
    releaseToken(token);
    return "unrecorded";
  }
}

/**
 * Gives a spent token back (the run it confirmed wrote nothing, so a retry may use it), here and in the
 * store. When the store cannot take it back the token stays spent there: a retry is refused as used and
 * asks for a new preview, never a second write.
 */
export async function giveBackToken(token: string, ctx: Pick<LeadsContext, "mirror">): Promise<void> {
  releaseToken(token);
  try {
    const shared = (await ctx.mirror())?.spentTokens;
    if (shared?.available) await shared.unclaim(storeKey(token));
  } catch {
    // Left spent in the store: see above.
  }
}
