// MOCO's webhooks in the sandbox: the hooks registered at /account/web_hooks, and the deliveries the
// sandbox sends for its own changes (leads and notes), signed as MOCO signs them (hex HMAC-SHA256 of
// the raw body, keyed by the account's 32-hex secret). `tamper` is a test switch to send bad ones.

import { createHmac, randomBytes } from "node:crypto";
import { request } from "node:http";

export interface WebHookRecord {
  id: number;
  target: string;
  event: string;
  hook: string;
  disabled: boolean;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * How the next deliveries go wrong, for tests: `bad` signed with another secret, `late` stamped ten
 * minutes ago, `duplicate` sent twice (the second newly stamped, as a retry is), `reorder` held until
 * `releaseHeld()` and then sent newest first.
 */
export type HookTamper = "bad" | "late" | "duplicate" | "reorder";

export interface HookDelivery {
  hookId: number;
  target: string;
  event: string;
  url: string;
  /** The receiver's answer; 0 when none came. */
  status: number;
  tamper: HookTamper | undefined;
}

interface Pending {
  hook: WebHookRecord;
  target: string;
  event: string;
  body: string;
  userId: number;
  at: number;
}

const TARGETS = ["Deal", "Comment", "Company", "Contact", "User", "Project", "Activity", "Invoice", "Offer"];
const EVENTS = ["create", "update", "delete"];

export class WebHooks {
  readonly hooks: WebHookRecord[] = [];
  readonly deliveries: HookDelivery[] = [];
  /** The secret MOCO shows in its webhook overview (32 hex characters). */
  readonly secret: string;
  /** Sent as X-Moco-Account-Url; set when the sandbox listens. */
  accountUrl = "";
  tamper: HookTamper | undefined;
  private held: Pending[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private nextId = 2_000_001;

  constructor(secret?: string) {
    this.secret = secret ?? randomBytes(16).toString("hex");
  }

  /** Validation errors per field, MOCO style, or undefined when the input is a valid hook. */
  invalid(input: Record<string, unknown>, partial = false): Record<string, string[]> | undefined {
    const errors: Record<string, string[]> = {};
    if (!partial && !TARGETS.includes(String(input.target))) errors.target = ["ist nicht gültig"];
    if (!partial && !EVENTS.includes(String(input.event))) errors.event = ["ist nicht gültig"];
    if (!/^https?:\/\/\S+$/.test(String(input.hook ?? ""))) errors.hook = ["ist nicht gültig"];
    return Object.keys(errors).length > 0 ? errors : undefined;
  }

  add(input: Record<string, unknown>, at: string): WebHookRecord {
    const record: WebHookRecord = {
      id: this.nextId++,
      target: String(input.target),
      event: String(input.event),
      hook: String(input.hook),
      disabled: false,
      disabled_at: null,
      created_at: at,
      updated_at: at,
    };
    this.hooks.push(record);
    return record;
  }

  remove(record: WebHookRecord): void {
    this.hooks.splice(this.hooks.indexOf(record), 1);
  }

  /** A change of the account: one delivery to every enabled hook for its target and event. */
  emit(target: string, event: string, payload: unknown, userId: number, at: number): void {
    const body = JSON.stringify(payload);
    for (const hook of this.hooks) {
      if (hook.disabled || hook.target !== target || hook.event !== event) continue;
      const pending = { hook, target, event, body, userId, at };
      if (this.tamper === "reorder") this.held.push(pending);
      else this.send(pending, this.tamper);
    }
  }

  /** Sends the deliveries held by `reorder`, newest first. */
  releaseHeld(): void {
    for (const pending of this.held.splice(0).reverse()) this.send(pending, "reorder");
  }

  /** Resolves once every delivery sent so far has its answer. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private send(pending: Pending, tamper: HookTamper | undefined): void {
    const times = tamper === "duplicate" ? 2 : 1;
    for (let i = 0; i < times; i++) {
      const at = tamper === "late" ? pending.at - 10 * 60_000 : pending.at + i;
      const secret = tamper === "bad" ? "00000000000000000000000000000000" : this.secret;
      const delivery: HookDelivery = {
        hookId: pending.hook.id,
        target: pending.target,
        event: pending.event,
        url: pending.hook.hook,
        status: 0,
        tamper,
      };
      this.deliveries.push(delivery);
      const sent = post(pending.hook.hook, pending.body, {
        "X-Moco-Target": pending.target,
        "X-Moco-Event": pending.event,
        "X-Moco-Timestamp": String(at),
        "X-Moco-Signature": createHmac("sha256", secret).update(pending.body).digest("hex"),
        "X-Moco-User-Id": String(pending.userId),
        "X-Moco-Account-Url": this.accountUrl,
        "X-Moco-Origin": "api",
      }).then((status) => {
        delivery.status = status;
      });
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    }
  }
}

/** One POST; the status, or 0 when the receiver gave none within 10 s (MOCO's limit). */
function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          ...headers,
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
        },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end(body);
  });
}
