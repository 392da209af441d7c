/** MOCO's limit: `limit` requests in any `windowMs`. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

/**
 * The rate budget a MocoClient spends: one slot per request sent. The client receives it instead of
 * building one, so the same client runs on an in-process budget (RateLimiter) or on one shared by
 * several processes. Callers are served first come, first served.
 */
export interface RateBudget {
  /** MOCO's limit this budget keeps to (the client names it and backs off by it). */
  readonly rate: RateLimit;
  /**
   * Resolves once the caller may send, with the release to call when the answer (or failure)
   * arrives. Rejects with RateBudgetExceeded at once when no slot would come before `deadline`,
   * and with the signal's reason when it aborts first.
   */
  take(options: { deadline: number; signal?: AbortSignal }): Promise<Release>;
  /** MOCO answered 429 anyway: hold every caller back for `ms` (at most one window). */
  pause(ms: number): void;
  /** Nothing queued, in flight or inside the window: forgetting this budget loses nothing. */
  idle(): boolean;
}

/** Call when the answer (or failure) arrives; `false` when no request was sent, so no slot is spent. */
export type Release = (used?: boolean) => void;

export class RateBudgetExceeded extends Error {
  /** `why`: the budget is not spent but held back (its store cannot be reached), said to the caller. */
  constructor(
    readonly retryAfterMs: number,
    readonly why?: string,
  ) {
    super(`rate budget ${why ?? "exhausted"}, retry in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = "RateBudgetExceeded";
  }
}

/**
 * A key's own budget and its account's (every key of one MOCO account shares the account's): a
 * request takes a slot in both or neither, and a 429 holds both back.
 */
export function withAccount(own: RateBudget, account: RateBudget | undefined): RateBudget {
  if (!account) return own;
  return {
    rate: own.rate,
    async take(options) {
      const mine = await own.take(options);
      try {
        const shared = await account.take(options);
        return (used) => {
          mine(used);
          shared(used);
        };
      } catch (error) {
        mine(false);
        throw error;
      }
    },
    pause(ms) {
      own.pause(ms);
      account.pause(ms);
    },
    idle: () => own.idle() && account.idle(),
  };
}

/** One slot of a shared budget as its store sees it: in how many ms it frees, and whether a request holds it. */
export interface SlotWait {
  slot: number;
  ms: number;
  held: boolean;
}

/**
 * Where a budget shared by several processes keeps its slots (the lead store implements it, on SQLite
 * or PostgreSQL). A scope (one MOCO account) has `limit` slots; each holds a request from its start
 * until a window after its answer. Every call is one atomic statement, so no two processes ever hold
 * the same slot.
 */
export interface BudgetCells {
  /**
   * Takes a slot of `scope` that is free now, marking it held by `holder` for at most `leaseMs` (so a
   * process that dies mid-request loses its slot only that long). `slot` is undefined when none is
   * free; `waits` tells every slot's state (empty when the store could not tell, e.g. it was busy).
   */
  take(
    scope: string,
    limit: number,
    leaseMs: number,
    holder: string,
  ): Promise<{ slot?: number; waits: SlotWait[] }>;
  /** The holder's slot frees `afterMs` from now (a window after the answer; 0 when nothing was sent). */
  release(scope: string, slot: number, holder: string, afterMs: number): Promise<void>;
  /** MOCO answered 429: no slot of `scope` frees within `ms`. */
  pause(scope: string, ms: number): Promise<void>;
  /** Resolves when the store answers (after an outage). */
  check(): Promise<void>;
  close(): Promise<void>;
}
