import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { allUsers } from "../../src/moco/reference.js";
import { leadAtMoco } from "../../src/webhooks/apply.js";
import {
  type ReceiverOptions,
  sign,
  type WebhookReceiver,
  webhookReceiver,
} from "../../src/webhooks/index.js";
import { type MirrorEnv, startEnv } from "./mirror-helpers.js";

export const SECRET = "0123456789abcdef0123456789abcdef";

/** A synced mirror over the sandbox, and the webhook receiver for its account on a real port. */
export interface HookEnv {
  env: MirrorEnv;
  receiver: WebhookReceiver;
  url: string;
  /** The account's address as MOCO sends it in X-Moco-Account-Url. */
  accountUrl: string;
  close(): Promise<void>;
}

export async function startHookEnv(options: Partial<ReceiverOptions> = {}): Promise<HookEnv> {
  // The sandbox signs its own deliveries with the secret the receiver knows.
  const env = await startEnv({ mirror: { freshMs: 3_600_000 }, sandbox: { webhookSecret: SECRET } });
  await env.mirror.read();
  const accountUrl = new URL(env.sandbox.url).origin;
  const receiver = webhookReceiver({
    secrets: [SECRET],
    accounts: [
      {
        url: accountUrl,
        deps: {
          mirror: async () => env.mirror,
          userName: async (id) => (await allUsers(env.moco)).users.find((u) => u.id === id)?.name,
          lead: (id) => leadAtMoco(env.moco, id),
        },
      },
    ],
    ...options,
  });
  const server = createServer((req, res) => void receiver.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/moco`;
  return {
    env,
    receiver,
    url,
    accountUrl,
    async close() {
      await closeServer(server);
      await env.close();
    },
  };
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface Hook {
  target: string;
  event: string;
  body: unknown;
  userId?: number;
  accountUrl: string;
  secret?: string;
  /** Epoch ms; default now. */
  timestamp?: number;
  /** Sent instead of the body's own signature. */
  signature?: string;
}

/** MOCO's headers for a delivery, signed as MOCO signs it. */
export function hookRequest(hook: Hook): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify(hook.body);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-moco-target": hook.target,
    "x-moco-event": hook.event,
    "x-moco-timestamp": String(hook.timestamp ?? Date.now()),
    "x-moco-signature": hook.signature ?? sign(hook.secret ?? SECRET, Buffer.from(body)),
    "x-moco-account-url": hook.accountUrl,
  };
  if (hook.userId !== undefined) headers["x-moco-user-id"] = String(hook.userId);
  return { headers, body };
}

export async function post(url: string, hook: Hook): Promise<{ status: number; body: string }> {
  const { headers, body } = hookRequest(hook);
  const res = await fetch(url, { method: "POST", headers, body });
  return { status: res.status, body: await res.text() };
}
