import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";

/**
 * Two doors, two budgets. A connection is public from the moment it is accepted: until its request
 * headers are in nobody knows what it wants, and what it wants may be a public endpoint (OAuth pages,
 * /register, /token, /revoke, metadata) or a /mcp request without a valid token. Public connections
 * have a budget of their own, in total and per address. A connection whose request carried valid
 * credentials leaves that budget and is never closed to make room: when a cap is full, a slow
 * public connection is closed instead (one still trickling its headers or body, oldest first; then
 * an idle one), so no number of slow anonymous clients can keep out a client with a token.
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
}

type Tally = { all: number; public: number };

/** How soon connections let in over the total are looked at again. */
const SWEEP_MS = 25;
/** How far a burst may go over the total, and how many refused connections wait to be told so. */
const margin = (maxConnections: number) => Math.max(16, Math.ceil(maxConnections / 4));
/** How long, and for how many addresses, a valid token lets an address's new connections in first. */
const KNOWN_MS = 15 * 60_000;
const KNOWN_ADDRESSES = 10_000;

export class Doors {
  private readonly entries = new Map<Socket, Entry>();
  private readonly byAddress = new Map<string, Tally>();
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
   * into the rest of the total. Over the total, a slow or idle public connection is closed, or
   * else this one refused.
   */
  arrive(socket: Socket): void {
    const address = socket.remoteAddress ?? "";
    const tally = this.byAddress.get(address) ?? { all: 0, public: 0 };
    const { limits } = this;
    if (tally.public >= limits.maxPublicPerAddress) this.makeRoom(address);
    if (this.publicOpen >= limits.maxPublic) this.makeRoom(undefined);
    const room =
      (tally.all < limits.maxConnectionsPerAddress || this.makeRoom(address)) &&
      (this.entries.size < limits.maxConnections ||
        this.makeRoom(undefined) ||
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
    while (this.entries.size > this.limits.maxConnections && this.makeRoom(undefined)) {}
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

  /** Closes the slowest public connection (of one address, or of all); false if there is none. */
  private makeRoom(address: string | undefined): boolean {
    const victim = this.slowest(address);
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

  private isSlow(e: Entry, now: number): boolean {
    if (e.idle) return false;
    if (e.req) return !e.req.complete;
    return e.socket.bytesRead > 0 || now - e.since >= this.limits.graceMs;
  }

  private setState(entry: Entry, state: State): void {
    if (entry.state === state || !this.entries.has(entry.socket)) return;
    const wasPublic = entry.state === "public";
    const isPublic = state === "public";
    entry.state = state;
    if (wasPublic === isPublic) return;
    const tally = this.byAddress.get(entry.address);
    const delta = isPublic ? 1 : -1;
    this.publicOpen += delta;
    if (tally) tally.public += delta;
  }

  private count(entry: Entry, delta: 1 | -1): void {
    const tally = this.byAddress.get(entry.address) ?? { all: 0, public: 0 };
    tally.all += delta;
    if (entry.state === "public") {
      tally.public += delta;
      this.publicOpen += delta;
    }
    if (tally.all > 0) this.byAddress.set(entry.address, tally);
    else this.byAddress.delete(entry.address);
  }

  private forget(entry: Entry): void {
    if (this.entries.get(entry.socket) !== entry) return;
    clearTimeout(entry.timer);
    this.count(entry, -1);
    this.entries.delete(entry.socket);
  }
}
