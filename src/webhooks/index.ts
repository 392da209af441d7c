/**
 * MOCO's webhooks: verified (verify.ts), answered at once and queued (queue.ts, receiver.ts), applied to
 * the lead mirror with who made the change (apply.ts). The `webhooks` subcommand registers them (cli.ts).
 */
export { accountReceiver } from "./account.js";
export type { ApplyDeps, Delivery } from "./apply.js";
export {
  type ReceiverOptions,
  type WebhookAccount,
  type WebhookReceiver,
  webhookReceiver,
} from "./receiver.js";
export { webhookSecrets } from "./settings.js";
export { sign } from "./verify.js";
