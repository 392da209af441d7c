/**
 * Logging goes to stderr only: on stdio, stdout is the protocol channel. Every line passes
 * through redact() so a secret that slipped into a message never reaches the log, and every
 * string is escaped and clipped, so caller or MOCO text can neither forge a line nor flood the log.
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

/** Longest string kept per field (and for the message), then "…(N more chars)". */
export const MAX_FIELD_CHARS = 500;
const MAX_MESSAGE_CHARS = 1_000;

// C0 and C1 controls, DEL, line/paragraph separators, and the bidi controls that reorder what a reader sees.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string) =>
  c === "\n"
    ? "\\n"
    : c === "\r"
      ? "\\r"
      : c === "\t"
        ? "\\t"
        : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** One printable line: secrets redacted first (a clip must not leave half a key), then escaped and clipped. */
export function clean(text: string, max = MAX_FIELD_CHARS, escaping = true): string {
  const redacted = redact(text);
  const safe = escaping ? redacted.replace(UNSAFE, escapeChar) : redacted;
  return safe.length <= max ? safe : `${safe.slice(0, max)}…(${safe.length - max} more chars)`;
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
  const extra = fields
    ? ` ${JSON.stringify(fields, (_key, value: unknown) => (typeof value === "string" ? clean(value, MAX_FIELD_CHARS, false) : value))}`
    : "";
  // JSON.stringify escapes controls in fields but leaves U+2028/2029 and bidi marks: this last pass takes them.
  const line = `moco-leads-mcp ${level}: ${clean(message, MAX_MESSAGE_CHARS)}${extra}`;
  process.stderr.write(`${line.replace(UNSAFE, escapeChar)}\n`);
}
