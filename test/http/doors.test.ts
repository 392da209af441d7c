import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { type DoorLimits, Doors } from "../../src/transports/http/doors.js";
import { type RawClient, rawClient, until } from "../support/sockets.js";
import { initialize, startHttpFixture } from "./support.js";

/**
 * The doors' policy on its own, with a clock of its own: which connection is closed to make room,
 * and which never is. (test/http/two-doors.test.ts floods the built server over real sockets.)
 */

class FakeSocket extends EventEmitter {
  destroyed = false;
  bytesRead = 0;
  constructor(readonly remoteAddress: string) {
    super();
  }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close");
  }
}

const limits = (over: Partial<DoorLimits> = {}): DoorLimits => ({
  maxConnections: 100,
  maxConnectionsPerAddress: 100,
  maxPublic: 4,
  maxPublicPerAddress: 4,
  publicBodyTimeoutMs: 5_000,
  graceMs: 1_000,
  ...over,
});

function setup(over: Partial<DoorLimits> = {}) {
  const clock = { now: 0 };
  const doors = new Doors(limits(over), () => clock.now);
  const arrive = (address: string) => {
    const s = new FakeSocket(address);
    doors.arrive(s as unknown as Socket);
    return s;
  };
  const attempt = (s: FakeSocket, complete = false, authorization?: string) => {
    s.bytesRead += 100;
    const req = { complete, headers: { authorization } } as unknown as IncomingMessage;
    return doors.request(s as unknown as Socket, req, () => {});
  };
  const request = (s: FakeSocket, complete = false, authorization?: string) => {
    const door = attempt(s, complete, authorization);
    if (door === "busy") throw new Error("this connection was refused");
    return door;
  };
  return { clock, doors, arrive, request, attempt };
}

describe("the public door", () => {
  it("full of slow sockets, a newcomer closes the oldest slow one, never a token holder's", () => {
    const { clock, doors, arrive, request } = setup();
    const holder = arrive("10.0.0.1");
    request(holder).admit();
    const slow = ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"].map((a) => {
      clock.now += 10;
      const s = arrive(a);
      s.bytesRead = 20; // part of its headers, never the rest
      return s;
    });
    clock.now += 10;
    const fresh = arrive("10.0.0.6");
    expect(slow.map((s) => s.destroyed)).toEqual([true, false, false, false]);
    expect([holder.destroyed, fresh.destroyed]).toEqual([false, false]);
    expect(doors.counts()).toMatchObject({ open: 5, public: 4, authenticated: 1, evicted: 1, refused: 0 });
  });

  it("a new socket that has sent nothing is kept within its grace and closed after it", () => {
    const { clock, arrive } = setup();
    const silent = ["10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4"].map(arrive);
    arrive("10.0.1.5"); // over the public budget, nothing slow yet: let in
    expect(silent.some((s) => s.destroyed)).toBe(false);
    clock.now += 1_000;
    arrive("10.0.1.6");
    expect(silent.map((s) => s.destroyed)).toEqual([true, false, false, false]);
  });

  it("a public request still sending its body is slow; one whose body is in and being answered is not", () => {
    const { arrive, request } = setup();
    const answering = arrive("10.0.2.1");
    request(answering, true);
    const trickling = arrive("10.0.2.2");
    request(trickling, false);
    const idle = ["10.0.2.3", "10.0.2.4"].map(arrive);
    arrive("10.0.2.5");
    expect([answering.destroyed, trickling.destroyed, ...idle.map((s) => s.destroyed)]).toEqual([
      false,
      true,
      false,
      false,
    ]);
  });

  it("a /mcp request whose credentials are being checked is not closed; once they fail it is public again", () => {
    const { doors, arrive, request } = setup({ maxPublic: 1 });
    const checking = arrive("10.0.3.1");
    request(checking).claim();
    expect(doors.counts()).toMatchObject({ public: 0 });
    const next = arrive("10.0.3.2");
    next.bytesRead = 5;
    arrive("10.0.3.3");
    expect([checking.destroyed, next.destroyed]).toEqual([false, true]);
    doors.finished(checking as unknown as Socket);
    expect(doors.counts()).toMatchObject({ public: 2, authenticated: 0 });
  });

  it("one address over its public cap makes room from its own slow sockets; a burst of new ones is let in", () => {
    const { clock, arrive } = setup({ maxPublic: 50, maxPublicPerAddress: 2 });
    const own = ["a", "b"].map(() => {
      clock.now += 1;
      const s = arrive("10.0.4.1");
      s.bytesRead = 3;
      return s;
    });
    const other = arrive("10.0.4.2");
    other.bytesRead = 3;
    arrive("10.0.4.1");
    expect([...own.map((s) => s.destroyed), other.destroyed]).toEqual([true, false, false]);
    const burst = Array.from({ length: 10 }, () => arrive("10.0.4.9"));
    expect(burst.filter((s) => s.destroyed)).toHaveLength(0);
  });

  it("over the total with only new sockets, a margin lets more in; the rest is refused, the first few told 503", () => {
    const { doors, arrive, attempt } = setup({ maxConnections: 20, maxPublic: 20, maxPublicPerAddress: 100 });
    // From as many addresses (one address's new connections past 4 would give way to each other).
    const sockets = Array.from({ length: 60 }, (_, i) => arrive(`10.0.5.${i}`));
    // 20, and a margin of max(16, 20 / 4) = 16 over it.
    expect(doors.counts()).toMatchObject({ open: 36, refused: 24 });
    // Of the 24 refused, the newest 16 wait for their request to be told "busy" (503); the oldest 8 are closed.
    expect(sockets.slice(36).map((s) => s.destroyed)).toEqual([
      ...Array(8).fill(true),
      ...Array(16).fill(false),
    ]);
    expect(attempt(sockets[59] as FakeSocket)).toBe("busy");
    expect(attempt(sockets[0] as FakeSocket)).not.toBe("busy");
  });

  it("let in over the total, what turns out slow is closed a moment later, back to the total", () => {
    vi.useFakeTimers();
    try {
      const { doors, arrive, request } = setup({
        maxConnections: 20,
        maxPublic: 20,
        maxPublicPerAddress: 100,
      });
      const sockets = Array.from({ length: 30 }, (_, i) => arrive(`10.0.7.${i}`));
      expect(doors.counts().open).toBe(30);
      // Within the moment, two show a request with a token and the rest trickle their headers.
      request(sockets[28] as FakeSocket).admit();
      request(sockets[29] as FakeSocket).claim();
      for (const s of sockets.slice(0, 28)) s.bytesRead = 7;
      vi.advanceTimersByTime(30);
      expect(doors.counts()).toMatchObject({ open: 20, authenticated: 2, evicted: 10 });
      expect(sockets.slice(0, 10).every((s) => s.destroyed)).toBe(true);
      expect(sockets.slice(10).some((s) => s.destroyed)).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("at the ceiling, an address that presented a valid token lately still gets in", () => {
    const { doors, arrive, request, attempt } = setup({
      maxConnections: 4,
      maxPublic: 4,
      maxPublicPerAddress: 100,
    });
    const holder = arrive("10.0.6.1");
    request(holder).admit();
    doors.finished(holder as unknown as Socket);
    holder.destroy();
    Array.from({ length: 40 }, (_, i) => arrive(`10.0.8.${i}`));
    const before = doors.counts();
    expect(before.refused).toBeGreaterThan(0);
    const again = arrive("10.0.6.1");
    expect(again.destroyed).toBe(false);
    expect(attempt(again, true)).not.toBe("busy");
    // A new connection from the flood's address made room.
    expect(doors.counts()).toMatchObject({ evicted: before.evicted + 1, refused: before.refused });
    // Anyone else is refused, and told so when its request comes.
    expect(attempt(arrive("10.0.6.3"))).toBe("busy");
  });
});

describe("the authenticated side", () => {
  it("one credential over its cap (a quarter of the total, at least 8): its own bodies still coming are closed, oldest first, another's never", () => {
    const { clock, doors, arrive, request } = setup({ maxConnections: 40, maxPublicPerAddress: 100 });
    const other = arrive("10.1.0.9");
    request(other, false, "Bearer other").admit();
    const own = Array.from({ length: 10 }, (_, i) => {
      clock.now += 1;
      const s = arrive(`10.1.0.${1 + (i % 3)}`);
      request(s, false, "Bearer mine").admit();
      return s;
    });
    // Cap 10: the tenth is in, and nothing closed yet.
    expect(own.some((s) => s.destroyed)).toBe(false);
    clock.now += 1;
    const eleventh = arrive("10.1.0.4");
    request(eleventh, false, "Bearer mine").admit();
    expect([own[0]?.destroyed, own[1]?.destroyed, eleventh.destroyed, other.destroyed]).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(doors.counts()).toMatchObject({ authenticated: 11, evicted: 1 });
  });

  it("one credential's requests being answered are real work: over the cap, none of them is closed", () => {
    const { arrive, request } = setup({ maxConnections: 32, maxPublicPerAddress: 100 });
    const answering = Array.from({ length: 9 }, (_, i) => {
      const s = arrive(`10.1.1.${i}`);
      request(s, true, "Bearer mine").admit();
      return s;
    });
    expect(answering.some((s) => s.destroyed)).toBe(false);
  });

  it("one address's authenticated connections have the same cap, whatever their credentials", () => {
    const { doors, arrive, request } = setup({ maxConnections: 32, maxPublicPerAddress: 100 });
    const sockets = Array.from({ length: 9 }, (_, i) => {
      const s = arrive("10.1.2.1");
      request(s, false, `Bearer token-${i}`).admit();
      return s;
    });
    expect(sockets.map((s) => s.destroyed)).toEqual([true, ...Array(8).fill(false)]);
    expect(doors.counts()).toMatchObject({ authenticated: 8 });
  });

  it("the total full: an authenticated body not in within the body timeout gives way to a newcomer", () => {
    const { clock, doors, arrive, request } = setup({ maxConnections: 4, maxPublicPerAddress: 100 });
    const holders = Array.from({ length: 4 }, (_, i) => {
      const s = arrive(`10.1.3.${i}`);
      request(s, i > 0, `Bearer t${i}`).admit();
      return s;
    });
    clock.now += 4_999;
    // Within the margin a burst is let in; fill it with requests being answered.
    for (let i = 0; i < 16; i++) request(arrive(`10.1.4.${i}`), true);
    // Full to the margin, nothing late yet: refused.
    arrive("10.1.5.1");
    expect(doors.counts()).toMatchObject({ open: 20, refused: 1, evicted: 0 });
    clock.now += 1;
    const newcomer = arrive("10.1.5.2");
    expect(doors.counts()).toMatchObject({ open: 20, refused: 1, evicted: 1 });
    expect([newcomer.destroyed, ...holders.map((s) => s.destroyed)]).toEqual([
      false,
      true,
      false,
      false,
      false,
    ]);
  });
});

describe("a flood of silent connections", () => {
  it("the total full: a new connection silent past 150 ms gives way to a newcomer, a younger one does not", () => {
    const { clock, doors, arrive } = setup({ maxConnections: 4, maxPublic: 4, maxPublicPerAddress: 100 });
    const old = arrive("10.2.0.1");
    clock.now += 149;
    const young = Array.from({ length: 3 }, (_, i) => arrive(`10.2.0.${2 + i}`));
    clock.now += 1;
    arrive("10.2.1.1");
    expect([old.destroyed, ...young.map((s) => s.destroyed)]).toEqual([true, false, false, false]);
    expect(doors.counts()).toMatchObject({ open: 4, evicted: 1 });
  });
});

describe("a flood of silent connections from a few addresses", () => {
  it("the total full: an address with more than 4 new silent connections gives up its oldest at once, others keep their grace", () => {
    const { doors, arrive } = setup({ maxConnections: 8, maxPublic: 8, maxPublicPerAddress: 100 });
    const lone = ["10.3.0.1", "10.3.0.2", "10.3.0.3"].map(arrive);
    const crowd = Array.from({ length: 5 }, () => arrive("10.3.1.1"));
    const newcomer = arrive("10.3.2.1");
    expect([...lone, ...crowd].map((s) => s.destroyed)).toEqual([
      false,
      false,
      false,
      true,
      ...Array(4).fill(false),
    ]);
    expect(newcomer.destroyed).toBe(false);
    // Four left: the crowded address keeps them, the next newcomer is let in over the total.
    arrive("10.3.2.2");
    expect(crowd.filter((s) => s.destroyed)).toHaveLength(1);
    expect(doors.counts()).toMatchObject({ open: 9, evicted: 1 });
  });
});

describe("over the wire", () => {
  it("a connection refused for want of room is answered 503 with Retry-After when its request comes", async () => {
    // No token to check (loopback only): every /mcp connection is a client's, its address's cap 8 the only one.
    const f = await startHttpFixture({ env: { MCP_HTTP_MAX_CONNECTIONS: "1" } });
    const held: RawClient[] = [];
    try {
      // The total (1) and the margin a burst may take over it (16), each kept alive after a call, from
      // three addresses (one address's or one credential's authenticated connections are capped at 8).
      const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${f.handle.port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(initialize)}\r\n\r\n`;
      for (let i = 0; i < 17; i++) {
        const c = rawClient(f.handle.port, `127.0.1.${1 + (i % 3)}`);
        held.push(c);
        c.socket.on("connect", () => c.socket.write(head + initialize));
      }
      await until(() => held.every((c) => c.received().includes('"result"')), 10_000, "17 answers");
      expect(f.handle.connections()).toMatchObject({ open: 17, authenticated: 17 });
      const late = rawClient(f.handle.port, "127.0.0.3");
      held.push(late);
      late.socket.on("connect", () =>
        late.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${f.handle.port}\r\n\r\n`),
      );
      await until(() => late.isClosed(), 5_000, "the refused connection answered and closed");
      expect(late.received()).toMatch(/^HTTP\/1\.1 503 [\s\S]*\r\nRetry-After: 1\r\n/i);
      expect(f.handle.connections()).toMatchObject({ open: 17, refused: 1, evicted: 0 });
    } finally {
      for (const c of held) c.socket.destroy();
      await f.close();
    }
  });
});
