import type { IncomingMessage } from "node:http";
import type { ClientsStore } from "./clients.js";
import { clientAddress } from "./http-util.js";
import type { Counter, Limits } from "./limits.js";

/**
 * Who may register a client right now (RFC 7591 is open by design: claude.ai and ChatGPT register
 * on their own). Three limits, each answered 429 with Retry-After: per address and hour, for the
 * whole server per minute (so many addresses together cannot fill the store in seconds), and the
 * number of clients kept (idle ones make room after an hour, see ClientsStore.makeRoom). The two
 * rates are counted in the grant store, for every instance sharing it together (see Limits).
 */

export interface RegistrationLimits {
  perAddressPerHour: number;
  perMinute: number;
  trustProxy: boolean | number | undefined;
}

export interface Refusal {
  retryAfterSeconds: number;
  message: string;
}

export class RegistrationGate {
  private readonly perAddress: Counter;
  private readonly everyone: Counter;
  /** Until when the server-wide rate is known spent: refused here without writing a row per address. */
  private closedUntil = 0;

  constructor(
    private readonly clients: ClientsStore,
    private readonly limits: RegistrationLimits,
    private readonly counters: Limits,
  ) {
    this.perAddress = counters.counter("register-address", limits.perAddressPerHour, 3600_000);
    this.everyone = counters.counter("register-all", limits.perMinute, 60_000);
  }

  /** Undefined when this registration may go ahead; else why not and when to try again. */
  async admit(req: IncomingMessage): Promise<Refusal | undefined> {
    // A flood from ever new addresses (a forwarded-for header its sender writes) would otherwise leave
    // one stored count per address for an hour, each refused anyway by the server-wide rate.
    const now = this.counters.now();
    if (now < this.closedUntil) return refusal(this.closedUntil - now, EVERYONE);
    const fromHere = await this.perAddress(clientAddress(req, this.limits.trustProxy));
    if (!fromHere.allowed) {
      return refusal(fromHere.resetInMs, "Too many client registrations from this address");
    }
    const fromAll = await this.everyone("*");
    if (!fromAll.allowed) {
      this.closedUntil = this.counters.now() + fromAll.resetInMs;
      return refusal(fromAll.resetInMs, EVERYONE);
    }
    const wait = await this.clients.makeRoom();
    if (wait !== undefined) {
      return refusal(wait, "This server keeps as many registered clients as it can");
    }
    return undefined;
  }
}

const EVERYONE = "This server takes few client registrations at a time";

const refusal = (ms: number, message: string): Refusal => {
  const retryAfterSeconds = Math.max(1, Math.ceil(ms / 1000));
  return { retryAfterSeconds, message: `${message}; try again in ${retryAfterSeconds} s.` };
};
