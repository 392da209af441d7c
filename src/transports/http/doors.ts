import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";

/**
 * Two doors, two budgets. A connection is public from the moment it is accepted: until its request
 * headers are in nobody knows what it wants, and what it wants may be a public endpoint (OAuth pages,
 * /register, /token, /revoke, metadata) or a /mcp request without a valid token. Public connections
 * have a budget of their own, in total and per address. A connection whose request carried valid
 * credentials leaves that budget: when a cap is full, a slow public connection is closed instead
 * (one still trickling its headers or body, oldest first; then an idle one), so no number of slow
 * anonymous clients can keep out a client with a token. A token holder cannot hold the door either:
 * the connections of one credential, and the authenticated connections of one address, have a cap
 * of their own (a quarter of the total, at least 8), kept by closing that credential's (address's)
 * connections still sending their body or idle; and an authenticated body not in within the public
 * body timeout makes its connection as closable as a slow public one.
 */

export interface DoorLimits {
  /** Open connections at most, both doors together, and from one address. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Public connections (not yet authenticated) at most, in total and from one address. */
  maxPublic: number;
  maxPublicPerAddress: number;
  /** A public request must have sent its whole body within this. */
  publicBodyTimeoutMs: number;
  /** A new connection that has sent nothing yet is left alone this long (its request may be on the way). */
  graceMs: number;
}

/** What the router tells the door about one request. */
export interface Door {
  /** The request presents credentials for /mcp: not closed to make room while they are checked. */
  claim(): void;
  /** The credentials held: this connection counts against the authenticated budget from now on. */
  admit(): void;
}

export interface DoorCounts {
  /** Open now, and of those how many are public (incl. not yet known) or authenticated. */
  open: number;
  public: number;
  authenticated: number;
  /** Since start: accepted, refused at once (no room that could be made), closed to make room. */
  accepted: number;
  refused: number;
  evicted: number;
}

type State = "public" | "claimed" | "private";

interface Entry {
  socket: Socket;
  address: string;
  state: State;
  /** When the connection, its current request, or its idleness began (performance.now()). */
  since: number;
  /** The public request in flight, if any (undefined: none yet, or idle between requests). */
  req: IncomingMessage | undefined;
  /** A response was sent and no request has started since (keep-alive). */
  idle: boolean;
  /** The public body timeout of the request in flight. */
  timer?: NodeJS.Timeout;
  /** A digest of the credentials that were admitted on this connection (none: no token to check). */
  credential?: string;
}

/** Per address: open, public, authenticated, and new connections that have not begun a request. */
type Tally = { all: number; public: number; private: number; fresh: number };

/** How soon connections let in over the total are looked at again. */
const SWEEP_MS = 25;
/** How far a burst may go over the total, and how many refused connections wait to be told so. */
const margin = (maxConnections: number) => Math.max(16, Math.ceil(maxConnections / 4));
/** How long, and for how many addresses, a valid token lets an address's new connections in first. */
const KNOWN_MS = 15 * 60_000;
const KNOWN_ADDRESSES = 10_000;
/** When the total is full, a new connection that has sent nothing for this long may be closed. */
const SHORT_GRACE_MS = 150;
/** New connections per address that keep their whole grace when the total is full (the rest do not). */
const FRESH_PER_ADDRESS = 4;
/** Authenticated connections of one credential, and of one address, at most (a soft cap, see credit). */
const privateCap = (maxConnections: number) => Math.max(8, Math.ceil(maxConnections / 4));

export class Doors {
  private readonly entries = new Map<Socket, Entry>();
  private readonly byAddress = new Map<string, Tally>();
  private readonly byCredential = new Map<string, number>();
  private publicOpen = 0;
  private sweep: NodeJS.Timeout | undefined;
  /** Refused connections waiting for their request, to answer it 503. */
  private readonly turnedAway = new Set<Socket>();
  /** Addresses that presented valid credentials lately, and when (oldest first). */
  private readonly known = new Map<string, number>();
  private accepted = 0;
  private refused = 0;
  private evicted = 0;

  constructor(
    private readonly limits: DoorLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  counts(): DoorCounts {
    const open = this.entries.size;
    return {
      open,
      public: this.publicOpen,
      authenticated: open - this.publicOpen,
      accepted: this.accepted,
      refused: this.refused,
      evicted: this.evicted,
    };
  }

  /** A connection the listener dropped before we saw it (its hard ceiling). */
  dropped(): void {
    this.refused++;
  }

  /**
   * A new connection enters by the public door. Over a public budget (its address's or the total)
   * it makes room by closing a slow or idle public connection, if there is one; new connections
   * that have not had the time to send a request yet are never closed for it, so a burst (many
   * people behind one address, or a token holder among a flood) may go over the public budget
   * into the rest of the total. Over the total, a slow or idle public connection is closed, else
   * one silent past the short grace or an authenticated one whose body is late, or else this one
   * is let in over the margin or refused.
   */
  arrive(socket: Socket): void {
    const address = socket.remoteAddress ?? "";
    const tally = this.byAddress.get(address) ?? { all: 0, public: 0, private: 0, fresh: 0 };
    const { limits } = this;
    if (tally.public >= limits.maxPublicPerAddress) this.makeRoom(address);
    if (this.publicOpen >= limits.maxPublic) this.makeRoom(undefined);
    const room =
      (tally.all < limits.maxConnectionsPerAddress || this.makeRoom(address)) &&
      (this.entries.size < limits.maxConnections ||
        this.makeRoom(undefined) ||
        this.makeRoom(undefined, true) ||
        this.overflow() ||
        (this.isKnown(address) && this.makeRoomForKnown()));
    if (!room) {
      this.turnAway(socket);
      return;
    }
    const entry: Entry = { socket, address, state: "public", since: this.now(), req: undefined, idle: false };
    this.entries.set(socket, entry);
    this.count(entry, 1);
    this.accepted++;
    socket.once("close", () => this.forget(entry));
  }

  /**
   * A request began on this connection: public until the router claims it. A public request's
   * body must arrive within the public body timeout, or `late` is called. "busy": the connection
   * was refused, and this request is to be told so (503 with Retry-After) and the connection closed.
   */
  request(socket: Socket, req: IncomingMessage, late: () => void): Door | "busy" {
    if (this.turnedAway.has(socket)) return "busy";
    const entry = this.entries.get(socket);
    if (!entry) return { claim: () => {}, admit: () => {} };
    this.setState(entry, "public");
    if (!entry.req && !entry.idle) this.freshen(entry, -1);
    entry.req = req;
    entry.idle = false;
    entry.since = this.now();
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (entry.req === req && entry.state === "public" && !req.complete) late();
    }, this.limits.publicBodyTimeoutMs);
    entry.timer.unref();
    return {
      claim: () => {
        if (entry.state === "public") this.setState(entry, "claimed");
      },
      admit: () => {
        this.setState(entry, "private");
        this.remember(entry.address);
        this.credit(entry, req.headers.authorization);
      },
    };
  }

  /** The response to the current request is done: the connection waits for the next (keep-alive). */
  finished(socket: Socket): void {
    const entry = this.entries.get(socket);
    if (!entry) return;
    // Credentials still being checked when the answer went out did not hold.
    if (entry.state === "claimed") this.setState(entry, "public");
    clearTimeout(entry.timer);
    entry.req = undefined;
    entry.idle = true;
    entry.since = this.now();
  }

  /**
   * No room: the connection is refused. Rather than a reset, its request (if it comes within the
   * grace) is answered 503 with Retry-After; a few such connections wait at a time, and the
   * oldest waiting one is closed for a newer one.
   */
  private turnAway(socket: Socket): void {
    this.refused++;
    if (this.turnedAway.size >= margin(this.limits.maxConnections)) {
      const oldest = this.turnedAway.values().next().value as Socket;
      this.turnedAway.delete(oldest);
      oldest.destroy();
    }
    this.turnedAway.add(socket);
    const timer = setTimeout(() => socket.destroy(), this.limits.graceMs);
    timer.unref();
    socket.once("close", () => {
      clearTimeout(timer);
      this.turnedAway.delete(socket);
    });
  }

  /**
   * Over the total with nothing slow to close: new connections that arrived together (a burst, a
   * token holder among a flood's reconnections) cannot be told apart before their requests are
   * read. Up to a margin, let this one in and close what turns out slow a moment later.
   */
  private overflow(): boolean {
    const { maxConnections } = this.limits;
    if (this.entries.size >= maxConnections + margin(maxConnections)) return false;
    this.sweepSoon();
    return true;
  }

  private sweepSoon(): void {
    this.sweep ??= setTimeout(() => this.sweepOver(), SWEEP_MS);
    this.sweep.unref();
  }

  /** Back within the total: slow and idle public connections are closed, oldest first. */
  private sweepOver(): void {
    this.sweep = undefined;
    while (
      this.entries.size > this.limits.maxConnections &&
      (this.makeRoom(undefined) || this.makeRoom(undefined, true))
    ) {}
    // What is left over are new connections within their grace (they turn slow or show a request).
    if (this.entries.size > this.limits.maxConnections) this.sweepSoon();
  }

  /**
   * At the ceiling, an address that presented valid credentials lately still gets in: a new
   * connection from an address that did not (the oldest) makes room for it.
   */
  private makeRoomForKnown(): boolean {
    let victim: Entry | undefined;
    for (const e of this.entries.values()) {
      if (e.state !== "public" || e.req || e.idle || this.isKnown(e.address)) continue;
      if (!victim || e.since < victim.since) victim = e;
    }
    if (!victim) return false;
    this.close(victim);
    return true;
  }

  private remember(address: string): void {
    this.known.delete(address);
    this.known.set(address, this.now());
    if (this.known.size > KNOWN_ADDRESSES) this.known.delete(this.known.keys().next().value as string);
  }

  private isKnown(address: string): boolean {
    const at = this.known.get(address);
    return at !== undefined && this.now() - at < KNOWN_MS;
  }

  private close(victim: Entry): void {
    this.evicted++;
    this.forget(victim);
    victim.socket.destroy();
  }

  /**
   * Closes the slowest public connection (of one address, or of all); false if there is none.
   * `hurry` (the total is full, and nothing public is slow): a new connection silent for more than
   * a moment, or an authenticated one whose body is late, is closed as well.
   */
  private makeRoom(address: string | undefined, hurry = false): boolean {
    const victim = hurry ? this.lagging() : this.slowest(address);
    if (!victim) return false;
    this.close(victim);
    return true;
  }

  /**
   * The public connection to close first: one still sending its headers or its body, or silent
   * past the grace (the oldest first); else one idle between requests (the oldest first). A new
   * connection within its grace, a request with credentials, or one whose body is in and being
   * answered, is never chosen.
   */
  private slowest(address: string | undefined): Entry | undefined {
    const now = this.now();
    let best: Entry | undefined;
    let bestSlow = false;
    for (const e of this.entries.values()) {
      if (e.state !== "public" || (address !== undefined && e.address !== address)) continue;
      const slow = this.isSlow(e, now);
      if (!slow && !e.idle) continue;
      if (best === undefined || (slow && !bestSlow) || (slow === bestSlow && e.since < best.since)) {
        best = e;
        bestSlow = slow;
      }
    }
    return best;
  }

  /**
   * When the total is full: the oldest new connection that has sent nothing from an address with
   * more than a few such, else the oldest silent past the short grace, else the oldest authenticated
   * request whose body has not arrived within the public body timeout.
   */
  private lagging(): Entry | undefined {
    const now = this.now();
    let crowded: Entry | undefined;
    let silent: Entry | undefined;
    let late: Entry | undefined;
    const older = (a: Entry | undefined, b: Entry) => (!a || b.since < a.since ? b : a);
    for (const e of this.entries.values()) {
      if (e.idle) continue;
      if (e.state === "public" && !e.req && e.socket.bytesRead === 0) {
        if ((this.byAddress.get(e.address)?.fresh ?? 0) > FRESH_PER_ADDRESS) crowded = older(crowded, e);
        else if (now - e.since >= SHORT_GRACE_MS) silent = older(silent, e);
      } else if (e.state === "private" && this.bodyLate(e, now)) late = older(late, e);
    }
    return crowded ?? silent ?? late;
  }

  private bodyLate(e: Entry, now: number): boolean {
    return e.req !== undefined && !e.req.complete && now - e.since >= this.limits.publicBodyTimeoutMs;
  }

  /**
   * Admitted: the connection counts against its credential's and its address's authenticated
   * caps. Over one, that credential's (address's) connections still sending their body, then idle
   * ones, are closed, the oldest first, this one aside; requests whose bodies are in and being
   * answered are real work and are left alone, so the cap holds unless they alone are over it.
   */
  private credit(entry: Entry, authorization: string | undefined): void {
    if (!this.entries.has(entry.socket)) return;
    this.uncredit(entry);
    const cap = privateCap(this.limits.maxConnections);
    if (authorization !== undefined) {
      const credential = createHash("sha256").update(authorization).digest("base64url");
      entry.credential = credential;
      this.byCredential.set(credential, (this.byCredential.get(credential) ?? 0) + 1);
      while ((this.byCredential.get(credential) ?? 0) > cap) {
        if (!this.closeOwn(entry, (e) => e.credential === credential)) break;
      }
    }
    while ((this.byAddress.get(entry.address)?.private ?? 0) > cap) {
      if (!this.closeOwn(entry, (e) => e.address === entry.address)) break;
    }
  }

  /** Closes the oldest authenticated connection of `mine` still sending its body, else idle. */
  private closeOwn(self: Entry, mine: (e: Entry) => boolean): boolean {
    let best: Entry | undefined;
    let bestSending = false;
    for (const e of this.entries.values()) {
      if (e === self || e.state !== "private" || !mine(e)) continue;
      const sending = e.req !== undefined && !e.req.complete;
      if (!sending && !e.idle) continue;
      if (!best || (sending && !bestSending) || (sending === bestSending && e.since < best.since)) {
        best = e;
        bestSending = sending;
      }
    }
    if (!best) return false;
    this.close(best);
    return true;
  }

  private isSlow(e: Entry, now: number): boolean {
    if (e.idle) return false;
    if (e.req) return !e.req.complete;
    return e.socket.bytesRead > 0 || now - e.since >= this.limits.graceMs;
  }

  private setState(entry: Entry, state: State): void {
    if (entry.state === state || !this.entries.has(entry.socket)) return;
    const tally = this.byAddress.get(entry.address);
    const publicDelta = Number(state === "public") - Number(entry.state === "public");
    const privateDelta = Number(state === "private") - Number(entry.state === "private");
    entry.state = state;
    this.publicOpen += publicDelta;
    if (tally) {
      tally.public += publicDelta;
      tally.private += privateDelta;
    }
  }

  private count(entry: Entry, delta: 1 | -1): void {
    const tally = this.byAddress.get(entry.address) ?? { all: 0, public: 0, private: 0, fresh: 0 };
    tally.all += delta;
    if (!entry.req && !entry.idle) tally.fresh += delta;
    if (entry.state === "public") {
      tally.public += delta;
      this.publicOpen += delta;
    }
    if (entry.state === "private") tally.private += delta;
    if (tally.all > 0) this.byAddress.set(entry.address, tally);
    else this.byAddress.delete(entry.address);
  }

  private freshen(entry: Entry, delta: 1 | -1): void {
    const tally = this.byAddress.get(entry.address);
    if (tally && this.entries.has(entry.socket)) tally.fresh += delta;
  }

  private forget(entry: Entry): void {
    if (this.entries.get(entry.socket) !== entry) return;
    clearTimeout(entry.timer);
    this.count(entry, -1);
    this.entries.delete(entry.socket);
    this.uncredit(entry);
  }

  private uncredit(entry: Entry): void {
    if (entry.credential === undefined) return;
    const left = (this.byCredential.get(entry.credential) ?? 1) - 1;
    if (left > 0) this.byCredential.set(entry.credential, left);
    else this.byCredential.delete(entry.credential);
    entry.credential = undefined;
  }
}
