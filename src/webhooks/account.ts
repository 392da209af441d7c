import type { LeadMirror } from "../leads/mirror/index.js";
import { log } from "../log.js";
import type { MocoClient } from "../moco/client.js";
import { allUsers } from "../moco/reference.js";
import { leadAtMoco } from "./apply.js";
import { type WebhookReceiver, webhookReceiver } from "./receiver.js";

/**
 * The receiver of a server with an account of its own (MOCO_API_KEY, or --sandbox): deliveries from
 * that account go to its mirror, each author named from the account's users (archived ones too).
 * `moco` undefined (per-request credentials, OAuth): no account is served here, so every delivery,
 * once verified, is acknowledged and ignored: a mirror is a key's, and a hook names no key.
 */
export function accountReceiver(
  secrets: readonly string[],
  moco: MocoClient | undefined,
  mirrorFor: (moco: MocoClient) => Promise<LeadMirror | undefined>,
): WebhookReceiver {
  if (!moco) {
    log("warn", "MOCO_WEBHOOK_SECRET is set but this server has no account of its own: webhooks are ignored");
    return webhookReceiver({ secrets, accounts: [] });
  }
  const url = moco.url("").origin;
  log("info", `MOCO webhooks for ${url} accepted at /webhooks/moco`);
  const userName = async (id: number) => (await allUsers(moco)).users.find((u) => u.id === id)?.name;
  const deps = { mirror: () => mirrorFor(moco), userName, lead: (id: number) => leadAtMoco(moco, id) };
  return webhookReceiver({ secrets, accounts: [{ url, deps }] });
}
