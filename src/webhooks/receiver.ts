import type { IncomingMessage, ServerResponse } from "node:http";
import { log } from "../log.js";
import { sendJson } from "../web/respond.js";
import { type ApplyDeps, applyChange, changeOf, leadOf } from "./apply.js";
import { HookQueue } from "./queue.js";
import { freshTimestamp, KindMemory, ReplayGuard, SIGNATURE, signedBy, WINDOW } from "./verify.js";

/**
 * POST /webhooks/moco: public (MOCO sends no bearer token), so every check that costs nothing comes
 * before any work: method, the signature's and timestamp's form and age, the announced length, all
 * before a byte of the body is read; then the body under a small cap and a short timeout, its HMAC,
 * the replay guard and the event the signature came with before; then it is queued and answered 202
 * at once (MOCO wants 2xx within 10 s).
 */

export interface WebhookAccount {
  /** The account's address as MOCO names it in X-Moco-Account-Url (compared by origin). */
  url: string;
  deps: ApplyDeps;
}

export interface ReceiverOptions {
  /** The webhook secrets (MOCO shows one per account): a delivery signed by any of them is MOCO's. */
  secrets: readonly string[];
  accounts: readonly WebhookAccount[];
  /** Default 256 KiB. */
  maxBodyBytes?: number;
  /** The whole body must arrive within this. Default 5 s. */
  bodyTimeoutMs?: number;
  /** Deliveries queued and not yet applied; past it 503. Default 1,000. */
  queueCap?: number;
  now?: () => number;
}

export interface WebhookReceiver {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Deliveries queued and not yet applied. */
  readonly pending: number;
  /** Resolves once every queued delivery is applied. */
  idle(): Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const originOf = (url: string | undefined) => {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
};

export function webhookReceiver(options: ReceiverOptions): WebhookReceiver {
  const maxBody = options.maxBodyBytes ?? 256 * 1024;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 5_000;
  const now = options.now ?? Date.now;
  const guard = new ReplayGuard();
  const kinds = new KindMemory();
  const queue = new HookQueue(options.queueCap ?? 1_000, (error) =>
    log("warn", `webhook not applied: ${error instanceof Error ? error.message : String(error)}`),
  );
  const accounts = new Map(options.accounts.map((a) => [originOf(a.url), a.deps]));

  const taken = (signature: string, event: string) => {
    guard.add(signature, now());
    kinds.add(signature, event);
  };

  const take = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") throw new Refusal(405, "POST only");
    const signature = header(req, "x-moco-signature") ?? "";
    if (!SIGNATURE.test(signature)) throw new Refusal(401, "missing or malformed X-Moco-Signature");
    const at = freshTimestamp(header(req, "x-moco-timestamp"), now(), WINDOW);
    if (at === undefined) throw new Refusal(401, "X-Moco-Timestamp missing, stale or in the future");
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > maxBody) throw new Refusal(413, `body over ${maxBody} bytes`);
    const body = await readBody(req, maxBody, bodyTimeoutMs);
    if (!signedBy(options.secrets, body, signature)) throw new Refusal(401, "signature does not match");
    const target = header(req, "x-moco-target") ?? "";
    const event = header(req, "x-moco-event") ?? "";
    const before = kinds.conflict(signature, event);
    if (before !== undefined)
      throw new Refusal(
        409,
        `this body came before as event ${JSON.stringify(before)}, not ${JSON.stringify(event)}`,
      );
    if (guard.has(signature, now())) return sendJson(res, 200, { status: "duplicate" });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw new Refusal(400, "body is not JSON");
    }
    const deps = accounts.get(originOf(header(req, "x-moco-account-url")));
    const userId = userIdOf(header(req, "x-moco-user-id"));
    const change = changeOf({
      target,
      event,
      userId,
      body: parsed,
      at,
    });
    if (!deps || typeof change === "string") {
      const why = deps ? (change as string) : "the account is not served here";
      log("info", `webhook ignored: ${why}`);
      taken(signature, event);
      return sendJson(res, 200, { status: "ignored" });
    }
    const queued = queue.offer(leadOf(change), async () => void (await applyChange(change, userId, deps)));
    if (!queued) return sendJson(res, 503, { error: "busy, send again later" }, { "Retry-After": "5" });
    taken(signature, event);
    sendJson(res, 202, { status: "queued" });
  };

  return {
    async handle(req, res) {
      try {
        await take(req, res);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        log("debug", `webhook refused (${error.status}): ${error.message}`);
        // A body not read is not waited for: the connection closes after the answer.
        if (!req.complete) res.setHeader("Connection", "close");
        sendJson(res, error.status, { error: error.message });
        if (!req.complete) res.once("finish", () => req.destroy());
      }
    },
    get pending() {
      return queue.size;
    },
    idle: () => queue.idle(),
  };
}

function userIdOf(value: string | undefined): number | undefined {
  const id = value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
  return id && id > 0 ? id : undefined;
}

/** The body, refused past `max` bytes or `timeoutMs` without reading further. */
function readBody(req: IncomingMessage, max: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (error?: Refusal) => {
      clearTimeout(timer);
      req.removeListener("data", onData);
      req.removeListener("end", onEnd);
      req.removeListener("error", onError);
      if (error) {
        req.pause();
        reject(error);
      } else resolve(Buffer.concat(chunks, size));
    };
    const timer = setTimeout(() => done(new Refusal(408, "body too slow")), timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) done(new Refusal(413, `body over ${max} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => done();
    const onError = () => done(new Refusal(400, "body not received"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
