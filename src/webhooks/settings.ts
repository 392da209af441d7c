import { SECRET } from "./verify.js";

/**
 * MOCO_WEBHOOK_SECRET: the secret(s) MOCO shows for the account's webhooks (32 hex characters each,
 * comma-separated for several). Without one, POST /webhooks/moco answers 404. Read beside config.ts
 * (which is full), from the same environment.
 */
export function webhookSecrets(value: string | undefined, problems: string[]): string[] {
  const secrets = (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const bad = secrets.filter((s) => !SECRET.test(s));
  if (bad.length > 0)
    problems.push(
      `MOCO_WEBHOOK_SECRET must be the 32 hex characters MOCO shows for its webhooks (comma-separated for several); ${bad.length} value(s) are not`,
    );
  return bad.length > 0 ? [] : secrets;
}
