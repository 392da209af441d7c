import { randomUUID } from "node:crypto";
import { log } from "../log.js";
import {
  type BudgetCells,
  type RateBudget,
  RateBudgetExceeded,
  type Release,
  type SlotWait,
} from "./budget.js";
import { type RateLimit, RateLimiter } from "./rate-limit.js";
import { within } from "./within.js";

/**
 * A RateBudget that every process serving one MOCO account shares through a store (BudgetCells): the
 * account has `limit` slots in the store, and a request holds one from its start until a window after
 * its answer, as the in-process RateLimiter counts. Taking a slot is one atomic statement, so the
 * processes together never send more than `limit` in any window.
 *
 * In this process callers are served first come, first served: they queue, and the first asks the
 * store for a slot, sleeping until the soonest slot frees when none is free. A caller whose slot
 * (estimated from the store's answer) comes after its deadline is refused at once with
 * RateBudgetExceeded, as the RateLimiter does.
 *
 * When the store fails (refused, timed out), the budget keeps to a local share, floor(limit /
 * instances) per window, after waiting one window so that what was sent through the store has left
 * MOCO's window (at once when the store never answered this process); it says so in the log once and tries the store again every `retryMs`. Once the store
 * answers, requests take a slot in the store and in the local share until this process's own local
 * requests have left the window, then the store alone again.
 */
export interface SharedBudgetOptions {
  rate: RateLimit;
  cells: BudgetCells;
  /** The account: every process spending for one MOCO account names it alike (its base URL). */
  scope: string;
  /** How many processes share the account while the store cannot be reached. Default 2. */
  instances?: number;
  /** How long a slot stays taken when its process never releases it (it died mid-request). */
  leaseMs?: number;
  /** Longest sleep between two looks at the store while every slot is taken. Default 500 ms. */
  pollMs?: number;
  /** How often the store is tried again while it cannot be reached. Default 5 s. */
  retryMs?: number;
  /** A store call slower than this counts as failed. Default 10 s (the store's own timeouts come first). */
  timeoutMs?: number;
  now?: () => number;
}

interface Waiter {
  deadline: number;
  signal?: AbortSignal;
  resolve: (release: Release) => void;
  reject: (error: unknown) => void;
  onAbort?: () => void;
  /** While recovering: the local share's slot, taken before the store's. */
  local?: Release;
}

type Mode = "shared" | "local" | "recovering";
const MIN_POLL_MS = 10;

export class SharedBudget implements RateBudget {
  readonly rate: RateLimit;
  private readonly cells: BudgetCells;
  private readonly scope: string;
  private readonly share: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly retryMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  private queue: Waiter[] = [];
  private pumping = false;
  private wake: (() => void) | undefined;
  /** Slots of the store held by this process's requests in flight. */
  private held = 0;
  private pausedUntil = 0;
  /** When each slot frees (local clock, ascending), from the store's last answer. */
  private freeAt: number[] = [];

  private mode: Mode = "shared";
  private local: RateLimiter | undefined;
  /** Requests sent on the local share alone, still in flight, and when the last of them was answered. */
  private localHeld = 0;
  private lastLocalAnswer = 0;
  private recoverUntil = 0;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  /** The store has answered this process at least once. */
  private reached = false;
  private closed = false;

  constructor(options: SharedBudgetOptions) {
    this.rate = options.rate;
    this.cells = options.cells;
    this.scope = options.scope;
    const instances = Math.max(1, Math.floor(options.instances ?? 2));
    this.share = Math.max(1, Math.floor(options.rate.limit / instances));
    this.leaseMs = options.leaseMs ?? options.rate.windowMs + 120_000;
    this.pollMs = options.pollMs ?? 500;
    this.retryMs = options.retryMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** "shared", "local" (the store cannot be reached) or "recovering" (it is back, local requests still count). */
  get state(): Mode {
    this.settleRecovery();
    return this.mode;
  }

  take({ deadline, signal }: { deadline: number; signal?: AbortSignal }): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closed) return Promise.reject(new Error("the MOCO rate budget was closed"));
    this.settleRecovery();
    if (this.mode === "local") return this.takeLocal({ deadline, signal });
    const eta = this.estimate(this.queue.length);
    if (eta > deadline) return Promise.reject(new RateBudgetExceeded(eta - this.now()));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { deadline, signal, resolve, reject };
      if (signal) {
        waiter.onAbort = () => this.drop(waiter, signal.reason);
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      void this.pump();
    });
  }

  /** At most one window, whatever the caller asks; every process sharing the store is held back. */
  pause(ms: number): void {
    const { windowMs } = this.rate;
    const capped = Number.isFinite(ms) ? Math.min(Math.max(0, ms), windowMs) : windowMs;
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + capped);
    this.local?.pause(capped);
    if (this.mode !== "local") this.quietly(this.cells.pause(this.scope, capped));
  }

  idle(): boolean {
    this.settleRecovery();
    return (
      this.mode === "shared" &&
      this.queue.length === 0 &&
      this.held === 0 &&
      this.localHeld === 0 &&
      this.now() >= this.pausedUntil
    );
  }

  /** Stops trying the store again; waiters still queued are refused. */
  close(): void {
    this.closed = true;
    clearInterval(this.probe);
    for (const waiter of this.queue.splice(0)) this.settle(waiter).reject(new RateBudgetExceeded(0));
    this.wake?.();
  }

  /** When the caller at `position` in the queue would start, from the store's last answer. */
  private estimate(position: number): number {
    const now = this.now();
    const n = this.freeAt.length;
    if (n === 0) return Math.max(now, this.pausedUntil);
    const first = Math.max(this.freeAt[position % n] as number, now);
    return Math.max(first + Math.floor(position / n) * this.rate.windowMs, this.pausedUntil);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && this.mode !== "local" && !this.closed) {
        const now = this.now();
        this.expire(now);
        const head = this.queue[0];
        if (!head) break;
        if (now < this.pausedUntil) {
          await this.nap(this.pausedUntil - now);
          continue;
        }
        if (this.mode === "recovering" && !head.local && !(await this.takeLocalFor(head))) continue;
        const holder = randomUUID();
        const taken = await this.takeSlot(holder);
        if (!taken) continue;
        this.reached = true;
        this.learn(taken.waits, taken.slot);
        if (taken.slot !== undefined) {
          this.grant(taken.slot, holder);
          continue;
        }
        this.refuseLate();
        await this.nap(this.nextPoll());
      }
      if (this.mode === "local") this.handOver();
    } finally {
      this.pumping = false;
    }
  }

  /** The store's answer as local times; the slot just taken counts as held for a window. */
  private learn(waits: SlotWait[], taken: number | undefined): void {
    const now = this.now();
    const { windowMs } = this.rate;
    if (taken !== undefined && waits.length === 0) {
      // A slot was free, so the store did not list them: the earliest one known is the one taken, now
      // held for a window (other processes' takes show at the next list, when none is free).
      if (this.freeAt.length > 0)
        this.freeAt = [...this.freeAt.slice(1), now + windowMs].sort((a, b) => a - b);
      return;
    }
    this.freeAt = waits
      .map((w) => {
        if (w.slot === taken) return now + windowMs;
        const ms = Math.max(w.ms, 0);
        // A slot in flight frees a window after its answer: at the earliest a window from now.
        return now + (w.held ? Math.min(ms, windowMs) : ms);
      })
      .sort((a, b) => a - b);
  }

  private nextPoll(): number {
    const soonest = (this.freeAt[0] ?? this.now()) - this.now();
    return Math.min(Math.max(soonest, MIN_POLL_MS), this.pollMs);
  }

  private grant(slot: number, holder: string): void {
    const waiter = this.queue.shift();
    if (!waiter) {
      this.quietly(this.cells.release(this.scope, slot, holder, 0));
      return;
    }
    const local = waiter.local;
    this.settle(waiter);
    this.held++;
    let released = false;
    waiter.resolve((used = true) => {
      if (released) return;
      released = true;
      this.held--;
      local?.(used);
      this.quietly(this.cells.release(this.scope, slot, holder, used ? this.rate.windowMs : 0));
      if (!used) this.wake?.();
    });
  }

  /** Detaches the waiter's abort listener; returns it for resolving or rejecting. */
  private settle(waiter: Waiter): Waiter {
    if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
    waiter.onAbort = undefined;
    return waiter;
  }

  private drop(waiter: Waiter, reason: unknown): void {
    const index = this.queue.indexOf(waiter);
    if (index === -1) return;
    this.queue.splice(index, 1);
    waiter.local?.(false);
    this.settle(waiter).reject(reason);
  }

  /** Callers whose deadline passed while they waited give up; they are told how long it would take. */
  private expire(now: number): void {
    const kept: Waiter[] = [];
    for (const waiter of this.queue) {
      if (waiter.deadline >= now) {
        kept.push(waiter);
        continue;
      }
      waiter.local?.(false);
      this.settle(waiter).reject(new RateBudgetExceeded(Math.max(0, this.estimate(kept.length) - now)));
    }
    this.queue = kept;
  }

  /** Callers whose slot, by the store's answer, comes after their deadline are refused now. */
  private refuseLate(): void {
    const now = this.now();
    const kept: Waiter[] = [];
    for (const waiter of this.queue) {
      const eta = this.estimate(kept.length);
      if (eta <= waiter.deadline) {
        kept.push(waiter);
        continue;
      }
      waiter.local?.(false);
      this.settle(waiter).reject(new RateBudgetExceeded(eta - now));
    }
    this.queue = kept;
  }

  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  /**
   * A release or pause that fails changes nothing that matters: the slot stays held until its lease
   * ends (never too early), and a store that is really gone fails the next take, which decides.
   */
  private quietly(work: Promise<void>): void {
    work.catch((error: unknown) =>
      log(
        "debug",
        `MOCO rate budget: a release or pause in the shared store failed (${error instanceof Error ? error.message : String(error)})`,
      ),
    );
  }

  /**
   * A slot from the store, or undefined when none is free; undefined too when the store failed or
   * did not answer within `timeoutMs` (the budget then keeps to its local share).
   */
  private async takeSlot(holder: string): Promise<{ slot?: number; waits: SlotWait[] } | undefined> {
    const pending = this.cells.take(this.scope, this.rate.limit, this.leaseMs, holder);
    try {
      return await within(pending, this.timeoutMs);
    } catch (error) {
      // A slot taken after all, too late to be used: given back at once.
      pending.then(
        (late) =>
          late.slot !== undefined && this.quietly(this.cells.release(this.scope, late.slot, holder, 0)),
        () => {},
      );
      this.failed(error);
      return undefined;
    }
  }

  private failed(error: unknown): void {
    if (this.mode === "local" || this.closed) return;
    const { windowMs } = this.rate;
    this.mode = "local";
    this.local ??= new RateLimiter({ limit: this.share, windowMs }, this.now);
    // What this process sent through the store may still be in MOCO's window: the local share starts
    // after it. A process the store never answered (a file it cannot open) has sent nothing there.
    if (this.reached) this.local.pause(windowMs);
    const reason = error instanceof Error ? error.message : String(error);
    const start = this.reached ? `, starting in ${windowMs / 1000} s,` : "";
    log(
      "warn",
      `MOCO rate budget: the shared store cannot be reached (${reason}); this process keeps to ${this.share} requests per ${windowMs / 1000} s${start} until it answers again`,
    );
    this.wake?.();
    clearInterval(this.probe);
    this.probe = setInterval(() => void this.tryAgain(), this.retryMs);
    this.probe.unref?.();
  }

  private async tryAgain(): Promise<void> {
    if (this.mode !== "local" || this.closed || this.probing) return;
    this.probing = true;
    const answers = await this.answers().finally(() => {
      this.probing = false;
    });
    if (!answers || this.mode !== "local" || this.closed) return;
    clearInterval(this.probe);
    this.probe = undefined;
    this.mode = "recovering";
    this.recoverUntil = this.now() + this.rate.windowMs + this.retryMs;
    log("info", "MOCO rate budget: the shared store answers again; requests go through it again");
    void this.pump();
  }

  /** One check of the store without switching modes (a failure keeps the local share). */
  private async answers(): Promise<boolean> {
    try {
      await within(this.cells.check(), this.timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  /** Back to the store alone once this process's local requests have left the window. */
  private settleRecovery(): void {
    if (this.mode !== "recovering") return;
    const now = this.now();
    if (now < this.recoverUntil || this.localHeld > 0 || now < this.lastLocalAnswer + this.rate.windowMs)
      return;
    this.mode = "shared";
    this.local = undefined;
  }

  /** The store failed: every queued caller moves, in order, to the local share. */
  private handOver(): void {
    for (const waiter of this.queue.splice(0)) {
      waiter.local?.(false);
      this.settle(waiter);
      this.takeLocal({ deadline: waiter.deadline, signal: waiter.signal }).then(
        waiter.resolve,
        waiter.reject,
      );
    }
  }

  private async takeLocal(options: { deadline: number; signal?: AbortSignal }): Promise<Release> {
    const local = this.local as RateLimiter;
    const release = await local.take(options).catch((error: unknown) => {
      throw this.localRefusal(error);
    });
    this.localHeld++;
    let released = false;
    return (used = true) => {
      if (released) return;
      released = true;
      release(used);
      this.localHeld--;
      if (used) this.lastLocalAnswer = this.now();
    };
  }

  /** A refusal of the local share says why the budget is this instance's own share, never "exhausted". */
  private localRefusal(error: unknown): unknown {
    if (!(error instanceof RateBudgetExceeded)) return error;
    const lost = this.mode === "local";
    const why = `limited to this instance's own share: the store the instances share MOCO's budget through ${lost ? "cannot be reached" : "answers again, but what this instance sent on its own still counts for a window"}, so it keeps to ${this.share} requests per ${this.rate.windowMs / 1000} s${lost && this.reached ? ", and none in the first window after losing it (what the instances sent before may still count at MOCO)" : ""}`;
    return new RateBudgetExceeded(error.retryAfterMs, why);
  }

  /** While recovering, the head of the queue first takes a slot of the local share. */
  private async takeLocalFor(head: Waiter): Promise<boolean> {
    const local = this.local as RateLimiter;
    try {
      head.local = await local.take({ deadline: head.deadline, signal: head.signal });
      if (!this.queue.includes(head)) {
        head.local(false);
        head.local = undefined;
        return false;
      }
      return true;
    } catch (error) {
      const index = this.queue.indexOf(head);
      if (index !== -1) {
        this.queue.splice(index, 1);
        this.settle(head).reject(this.localRefusal(error));
      }
      return false;
    }
  }
}
