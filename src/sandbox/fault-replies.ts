// The answers of the faults that replace MOCO's answer outright (the others change how or whether an
// answer is delivered, which server.ts handles).

import { STATUS_CODES } from "node:http";
import type { Fault } from "./faults.js";
import { JSON_TYPE, json, type Reply } from "./http-util.js";
import type { SandboxStore } from "./store.js";

const DEFAULT_OVERSIZED_BYTES = 12 * 1024 * 1024;

const TOO_MANY_REQUESTS: Reply = json(429, { message: "Too many requests" });

export function rateLimitReply(retryAfter?: string): Reply {
  return retryAfter === undefined
    ? TOO_MANY_REQUESTS
    : json(429, { message: "Too many requests" }, { "Retry-After": retryAfter });
}

/** Reply for "status", "malformed_json", "oversized" and "empty" faults. */
export function faultReply(fault: Fault, store: SandboxStore): Reply {
  switch (fault.kind) {
    case "status": {
      const status = fault.status ?? 500;
      return json(status, fault.body ?? { message: STATUS_CODES[status] ?? "Error" });
    }
    case "malformed_json":
      // A lead list cut off mid-string: what a proxy timeout or a truncated gzip stream delivers.
      return {
        status: 200,
        body: '[{"id":388101,"name":"Website-Relaunch Beisp',
        headers: { "Content-Type": JSON_TYPE },
      };
    case "oversized":
      return {
        status: 200,
        body: oversized(store, fault.bytes ?? DEFAULT_OVERSIZED_BYTES),
        headers: { "Content-Type": JSON_TYPE },
      };
    default:
      return { status: fault.status ?? 200 };
  }
}

/** A valid JSON array of real-looking leads, at least `bytes` long. */
function oversized(store: SandboxStore, bytes: number): string {
  const items = store.deals.map((d) => JSON.stringify(store.dealJson(d)));
  if (items.length === 0) items.push(JSON.stringify({ filler: "x".repeat(1000) }));
  const parts: string[] = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const item = items[i % items.length] ?? "{}";
    parts.push(item);
    size += Buffer.byteLength(item) + 1;
  }
  return `[${parts.join(",")}]`;
}
