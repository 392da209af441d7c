import type { CallOptions, MocoClient } from "../moco/client.js";
import { me } from "../moco/reference.js";
import type { Lead } from "../moco/schemas.js";
import { localToday } from "./dates.js";
import type { Author } from "./mirror/copy.js";
import type { LeadMirror, MirrorRegistry } from "./mirror/index.js";

/** What the lead operations need from whoever calls them: the client, the call's limits and a progress channel. */
export interface LeadsContext {
  moco: MocoClient;
  /** Signal and deadline, ready to pass to every MOCO call. */
  call: CallOptions;
  /** Upper bound on MOCO requests for one scan. */
  maxScanPages: number;
  /** The calendar day counted as today (due, created and reminder windows). */
  today: () => string;
  /** The lead mirror of these credentials, when the store is on (undefined: read MOCO live). */
  mirror: () => Promise<LeadMirror | undefined>;
  /** Reports progress when the caller asked for it; a no-op otherwise. */
  progress: (done: number, total: number | undefined, message: string) => Promise<void>;
}

/** The options of one call that must be done within `timeoutMs`, cancelled with `signal`. */
export const callOptions = (timeoutMs: number, signal?: AbortSignal): CallOptions => ({
  signal,
  deadline: Date.now() + timeoutMs,
});

/**
 * Our own writes reach the lead mirror at once, from MOCO's answer (a failure there never fails the
 * write), recorded with who asked for them: the user of the MOCO key the write was made with (over
 * OAuth, the signed-in person's own key).
 */
export async function remember(ctx: Writer, lead: Lead): Promise<void> {
  const mirror = await ctx.mirror();
  if (mirror) await mirror.applyWrite(lead, await whoAsked(ctx));
}

type Writer = Pick<LeadsContext, "mirror" | "moco" | "call">;

/** How long the history waits to learn who asked (GET /profile, once per client) before it says unknown. */
const WHO_WAIT_MS = 5000;

/** Clients whose profile MOCO did not give lately: not asked again for a minute (a bulk run would wait each time). */
const profileFailed = new WeakMap<MocoClient, number>();
const PROFILE_RETRY_MS = 60_000;

/** Lookups under way, so that the writes of one bulk run sent at once share one. */
const asking = new WeakMap<MocoClient, Promise<Author | undefined>>();

/** The key's user as MOCO's profile names them (cached per client), or undefined when it cannot say. */
function whoAsked(ctx: Writer): Promise<Author | undefined> {
  if ((profileFailed.get(ctx.moco) ?? 0) > Date.now()) return Promise.resolve(undefined);
  const pending = asking.get(ctx.moco);
  if (pending) return pending;
  const lookup = profileUser(ctx).finally(() => asking.delete(ctx.moco));
  asking.set(ctx.moco, lookup);
  return lookup;
}

async function profileUser(ctx: Writer): Promise<Author | undefined> {
  const deadline = Math.min(ctx.call.deadline ?? Number.POSITIVE_INFINITY, Date.now() + WHO_WAIT_MS);
  try {
    const user = await me(ctx.moco, { signal: ctx.call.signal, deadline });
    return user.name ? { id: user.id, name: user.name } : { id: user.id };
  } catch {
    profileFailed.set(ctx.moco, Date.now() + PROFILE_RETRY_MS);
    return undefined;
  }
}

/**
 * Leads just read from MOCO: the mirror takes each one its copy holds in an older version (compared by
 * updated_at; recorded as a sync would), so a read from the mirror within its freshness window does not
 * contradict what the server has just seen. A failure there never fails the read.
 */
export async function seen(ctx: Pick<LeadsContext, "mirror">, leads: readonly Lead[]): Promise<void> {
  if (leads.length === 0) return;
  try {
    const mirror = await ctx.mirror();
    if (!mirror?.available) return;
    for (const lead of leads) await mirror.applyExternal({ lead });
  } catch {
    // The mirror's next sync reads them.
  }
}

export async function forget(ctx: Writer, id: number): Promise<void> {
  const mirror = await ctx.mirror();
  if (mirror) await mirror.applyDelete(id, await whoAsked(ctx));
}

/** What the server holds for every call: the client, the scan cap, the configured today, the mirrors. */
export interface LeadsDeps {
  moco: MocoClient;
  maxScanPages: number;
  /** MOCO_TODAY; undefined: the server's local date. */
  today: string | undefined;
  mirrors?: () => Promise<MirrorRegistry | undefined>;
}

/** The clients whose uncertain writes reach the store, per registry (its opener) they report to. */
const hearing = new WeakMap<MocoClient, Set<NonNullable<LeadsDeps["mirrors"]>>>();

/**
 * Before a call can write: each of `moco`'s writes of unknown outcome is counted in the store, whether
 * or not a mirror of its scope is loaded (it is made on first use, after the write; or was let go), so
 * another instance does not answer from a copy lacking what the write did. Once per client.
 */
function hearUncertainWrites(moco: MocoClient, mirrors: NonNullable<LeadsDeps["mirrors"]>): void {
  const heard = hearing.get(moco) ?? new Set();
  if (heard.has(mirrors)) return;
  heard.add(mirrors);
  hearing.set(moco, heard);
  moco.onUncertainWrite(async (write) => (await mirrors())?.uncertain(moco, write));
}

/** The context of one call, built the same way for tools and resources. */
export function leadsContext(
  deps: LeadsDeps,
  call: CallOptions,
  progress: LeadsContext["progress"] = async () => {},
): LeadsContext {
  if (deps.mirrors) hearUncertainWrites(deps.moco, deps.mirrors);
  return {
    moco: deps.moco,
    call,
    maxScanPages: deps.maxScanPages,
    today: () => deps.today ?? localToday(),
    mirror: async () => (await deps.mirrors?.())?.forClient(deps.moco),
    progress,
  };
}
