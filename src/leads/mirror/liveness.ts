import { apiPath, type MocoClient, type Refusal } from "../../moco/client.js";
import { MocoError } from "../../moco/errors.js";

/**
 * Whether MOCO still accepts the key a mirror's copy belongs to. The copy is that key's view of MOCO:
 * once MOCO refuses the key, nothing of it is served until a call with the key succeeds again. Every
 * client of the scope tells of its refusals; a copy served without a sync is confirmed with MOCO (one
 * cheap call) when nothing has confirmed the key within the freshness window.
 */
export class Liveness {
  /** When MOCO's refusal arrived (ms), and what MOCO said; undefined: not refused. */
  private refusal: { at: number; error: MocoError } | undefined;
  private readonly watching = new Map<MocoClient, () => void>();
  /** The latest acceptance of the key seen from a client this liveness no longer watches (ms). */
  private acceptedBefore = 0;

  /** Listens to `moco`'s refusals (once per client). */
  watch(moco: MocoClient): void {
    if (this.watching.has(moco)) return;
    this.watching.set(
      moco,
      moco.onRefusal((refusal) => {
        if (refusesKey(refusal)) this.refusal = { at: Date.now(), error: refusal.error };
      }),
    );
    // A 401 before this mirror listened (it was let go, and is loaded again): refused all the same.
    const earlier = moco.lastAuthRefusal;
    if (earlier && earlier.at > (this.refusal?.at ?? 0))
      this.refusal = { at: earlier.at, error: earlier.error };
  }

  /** `moco` replaces the clients watched so far: only it is watched. */
  useClient(moco: MocoClient): void {
    for (const [old, stop] of this.watching) {
      if (old === moco) continue;
      this.acceptedBefore = Math.max(this.acceptedBefore, old.lastAcceptedAt ?? 0);
      stop();
      this.watching.delete(old);
    }
    this.watch(moco);
  }

  /** Stops listening to every client. */
  release(): void {
    for (const stop of this.watching.values()) stop();
    this.watching.clear();
  }

  /** When a call MOCO answered last began (ms; 0: none seen). */
  get acceptedAt(): number {
    let latest = this.acceptedBefore;
    for (const moco of this.watching.keys()) latest = Math.max(latest, moco.lastAcceptedAt ?? 0);
    return latest;
  }

  /** MOCO refused the key, and no call begun since has succeeded. */
  get refused(): boolean {
    if (this.refusal && this.acceptedAt > this.refusal.at) this.refusal = undefined;
    return this.refusal !== undefined;
  }

  /**
   * Before the copy is served: a refused key is asked about once more (MOCO's answer, its refusal
   * included, is what the caller meets), and so is a key nothing has confirmed since `confirmedMs`
   * within `freshMs`. Throws MOCO's error; a key not refused but not reachable either (network, rate
   * budget) is left to the sync, which meets the same.
   */
  async check(moco: MocoClient, options: { confirmedMs: number; freshMs: number; signal?: AbortSignal }) {
    const refused = this.refused;
    const confirmed = Math.max(options.confirmedMs, this.acceptedAt);
    if (!refused && Date.now() - confirmed < options.freshMs) return;
    const began = Date.now();
    try {
      await moco.get(apiPath("session"), { signal: options.signal, deadline: began + 10_000 });
      if (this.refusal && this.refusal.at <= began) this.refusal = undefined;
    } catch (error) {
      if (refused || (error instanceof MocoError && this.refused)) throw error;
    }
  }
}

/**
 * Whether a refusal is of the key itself. 401: always. 403 is also what a read-only key meets when it
 * writes, and a key without the Staff permission on /users: the key still reads its leads. A 403 on
 * reading the list of leads (or the key's own session) means the copy may not be shown to it.
 */
function refusesKey({ method, path, error }: Refusal): boolean {
  if (error.kind === "auth") return true;
  return error.kind === "forbidden" && method === "GET" && (path === "/deals" || path === "/session");
}
