/**
 * The value parsers of the config: each reads one setting, and a value it cannot use becomes a line in
 * `problems` (the config reports them all at once) and the fallback.
 */

export const list = (value: string | undefined) =>
  value
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function bool(value: string | undefined, name: string, problems: string[]): boolean {
  if (value === undefined || value === "") return false;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  problems.push(`${name} must be true or false, got "${value}"`);
  return false;
}

export function int(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
) {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
    return fallback;
  }
  return n;
}

export function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  options: readonly T[],
  fallback: T,
  problems: string[],
): T {
  const v = value?.trim().toLowerCase();
  if (!v) return fallback;
  if ((options as readonly string[]).includes(v)) return v as T;
  problems.push(`${name} must be one of ${options.join(", ")}, got "${value}"`);
  return fallback;
}

export function dateFrom(value: string | undefined, name: string, problems: string[]): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  const d = new Date(`${v}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
    problems.push(`${name} must be a date YYYY-MM-DD, got "${value}"`);
  }
  return v;
}
