/**
 * Logging goes to stderr only: on stdio, stdout is the protocol channel. Every line passes
 * through redact() so a secret that slipped into a message never reaches the log.
 */
const secrets = new Set<string>();

export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) secrets.add(secret);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out.replace(/(Token token=|Bearer )[^\s"',;]+/gi, "$1[redacted]");
}

export const LEVELS = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];
const order: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
// Until the bin applies the validated configuration (and in tests), the environment decides.
let threshold = order[process.env.MOCO_LOG_LEVEL as Level] ?? order.info;

export function setLogLevel(level: Level): void {
  threshold = order[level];
}

export function log(level: Level, message: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold) return;
  const extra = fields ? ` ${JSON.stringify(fields)}` : "";
  process.stderr.write(redact(`moco-leads-mcp ${level}: ${message}${extra}\n`));
}
