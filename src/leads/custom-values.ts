import { InputError } from "../errors.js";
import { MocoError } from "../moco/errors.js";
import { type PropertyDefinition, type PropertyDefinitions, propertyDefinitions } from "../moco/reference.js";
import { fold } from "../text.js";
import type { LeadsContext } from "./context.js";
import { stored } from "./verify.js";

/**
 * A custom field value read the way the account defines the field, one rule for filters and writes:
 * a value of a field with options (single or multiple choice) names an option up to case and accents
 * and is used in the option's spelling; a value of a yes/no field is true or false, or a word for
 * them (yes/no, ja/nein, oui/non, si/no, 1/0); anything else for these fields is a problem, said
 * before any lead is read or written. Free text (and any field without a definition) stays as given.
 */
export type CustomValue = string | boolean | string[];

const YES = new Set(["true", "yes", "ja", "oui", "si", "1"]);
const NO = new Set(["false", "no", "nein", "non", "0"]);

/** A yes/no field (MOCO's kind "Boolean"), stored as "1" or "0". */
export const isYesNo = (def: Pick<PropertyDefinition, "kind">) => fold(def.kind) === "boolean";

/** The option a value names (exact, else up to case and accents); null: none; undefined: no options. */
export function optionFor(def: PropertyDefinition, value: string): string | null | undefined {
  if (def.options.length === 0) return undefined;
  if (def.options.includes(value)) return value;
  return def.options.find((o) => fold(o) === fold(value)) ?? null;
}

/** A value as understood, how (when it was not taken as given), or why it cannot be used. */
export interface Understood {
  value: CustomValue;
  /** e.g. 'Quelle "website" = "Website"', 'Rahmenvertrag "ja" = yes'. */
  echo?: string;
  /** Set when the value cannot be used: the sentence, and what the field takes. */
  problem?: { message: string; takes: string[] };
}

const json = JSON.stringify;

/**
 * A yes/no value. For a filter, "no" (false too) is echoed with a word that leads with the field
 * unset are not among the matches, though MOCO's interface shows them unticked.
 */
function yesNo(name: string, value: CustomValue, forFilter: boolean): Understood {
  const word = typeof value === "string" ? fold(value) : undefined;
  const yes = value === true || (word !== undefined && YES.has(word));
  if (typeof value === "boolean" || yes || (word !== undefined && NO.has(word))) {
    // true needs no word; false in a filter says what it leaves out.
    if (typeof value === "boolean" && (yes || !forFilter)) return { value };
    const unset = forFilter && !yes ? ` (${unsetNote(name)})` : "";
    return { value: yes, echo: `${name} ${json(value)} = ${yes ? "yes" : "no"}${unset}` };
  }
  return {
    value,
    problem: {
      message: `${json(name)} is a yes/no field, and ${json(value)} is neither yes nor no: use true or false`,
      takes: ["true", "false"],
    },
  };
}

/** What a "no" filter of a yes/no field leaves out. */
export const unsetNote = (name: string) =>
  `leads with ${name} unset are not included, though MOCO shows them unticked`;

/**
 * An empty value (or null) for a yes/no field in a write: MOCO cannot empty such a field, it stores
 * the empty value as no ("0"), so a write asking to clear it would silently set no. Refused, on a
 * create and an update alike, with what to send instead.
 */
function blankYesNo(name: string, value: unknown): Understood["problem"] & {} {
  return {
    message: `${json(name)} is a yes/no field, which MOCO cannot leave empty: it would store ${json(value)} as no ("0"); send false for no, or leave the field out to keep its value`,
    takes: ["true", "false"],
  };
}

/** One value of a field, read by its definition (none: as given); `forFilter` for a search's value. */
export function understand(
  name: string,
  def: PropertyDefinition | undefined,
  value: CustomValue,
  forFilter = false,
): Understood {
  if (!def) return { value };
  if (isYesNo(def)) return yesNo(name, value, forFilter);
  if (typeof value === "boolean") return { value };
  const echo: string[] = [];
  const missing: string[] = [];
  const pick = (v: string) => {
    const option = optionFor(def, v);
    if (option === null) missing.push(v);
    if (option && option !== v) echo.push(`${name} ${json(v)} = ${json(option)}`);
    return option ?? v;
  };
  const out = Array.isArray(value) ? value.map(pick) : pick(value);
  if (missing.length > 0) {
    const what =
      missing.length === 1
        ? `${json(missing[0])} is no option`
        : `${missing.map((v) => json(v)).join(", ")} are no options`;
    return {
      value,
      problem: {
        message: `${what} of ${json(name)} (case and accents aside); its options are: ${def.options.join(", ")}`,
        takes: def.options,
      },
    };
  }
  return echo.length > 0 ? { value: out, echo: echo.join("; ") } : { value: out };
}

/** A date field (MOCO's kind "Date"), which MOCO takes as YYYY-MM-DD only. */
const isDate = (def: Pick<PropertyDefinition, "kind">) => fold(def.kind) === "date";

const realDay = (y: number, m: number, d: number) => {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
};
const iso = (y: number, m: number, d: number) =>
  `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;

/**
 * A value of a date field for a write: YYYY-MM-DD as given, DD.MM.YYYY (unambiguous, German style)
 * turned into it and said so; anything else refused before the write, since MOCO answers it with
 * only "custom_properties: ist nicht gültig".
 */
export function dateValue(name: string, value: CustomValue): Understood {
  const problem = {
    message: `${json(name)} is a date field, and ${json(value)} is not a date YYYY-MM-DD (MOCO would refuse it with "custom_properties: ist nicht gültig")`,
    takes: ["YYYY-MM-DD"],
  };
  if (typeof value !== "string") return { value, problem };
  const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (isoDate) {
    const [y, m, d] = isoDate.slice(1).map(Number) as [number, number, number];
    return realDay(y, m, d) ? { value } : { value, problem };
  }
  const german = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(value.trim());
  if (german) {
    const [d, m, y] = german.slice(1).map(Number) as [number, number, number];
    if (realDay(y, m, d)) {
      const out = iso(y, m, d);
      return { value: out, echo: `${name} ${json(value)} = ${out}` };
    }
  }
  return { value, problem };
}

/** The problems of a call in one error, before anything is read or written. */
export function refuseValues(problems: [string, Understood["problem"] & {}][], nothing: string): void {
  if (problems.length === 0) return;
  throw new InputError(
    `${nothing} custom_properties: ${problems.map(([, p]) => p.message).join(". ")}`,
    Object.fromEntries(problems.map(([name, p]) => [name, p.takes])),
    problems.some(([, p]) => p.takes.length > 0)
      ? "Use one of the values listed (true or false for a yes/no field, a date as YYYY-MM-DD) and call again."
      : "Call again with other values.",
  );
}

/** Custom field values as a write sends them, with what to tell about them. */
export interface WriteValues {
  /** In MOCO's form: options in the account's spelling, yes/no as "1" or "0", the rest as given. */
  values: Record<string, unknown>;
  /** How values were understood, or why they could not be checked. */
  notes: string[];
  /** The definitions read (for checking what MOCO stored); undefined when they could not be read. */
  definitions: PropertyDefinitions | undefined;
}

/**
 * The custom field values of a write (create_lead, update_lead, update_leads) checked against the
 * account's definitions before anything is written. An empty value (clearing the field) is sent as
 * given, except for a yes/no field, which MOCO cannot empty (blankYesNo). When the definitions cannot be read, every value is sent as given, and the notes say so.
 */
export async function writeValues(
  props: Record<string, unknown>,
  ctx: Pick<LeadsContext, "moco" | "call">,
): Promise<WriteValues> {
  const read = await propertyDefinitions(ctx.moco, ctx.call).then(
    (definitions) => ({ definitions, failed: undefined }),
    (error: unknown) => ({
      definitions: undefined,
      failed:
        error instanceof MocoError && error.kind === "forbidden"
          ? "MOCO refused them to this API key"
          : `reading them failed${error instanceof Error ? `: ${error.message}` : ""}`,
    }),
  );
  const names = Object.keys(props);
  if (!read.definitions) {
    return {
      values: inMocoForm(props),
      notes: [
        `custom_properties: the field definitions could not be read (${read.failed}), so ${names.map((n) => json(n)).join(", ")} ${names.length === 1 ? "was" : "were"} sent as given and could not be checked`,
      ],
      definitions: undefined,
    };
  }
  const { definitions, complete } = read.definitions;
  const defs = new Map(definitions.map((d) => [d.name, d]));
  const notes: string[] = [];
  const problems: [string, Understood["problem"] & {}][] = [];
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(props)) {
    const def = defs.get(name);
    const blank = value === "" || value === null || (Array.isArray(value) && value.length === 0);
    const found: Omit<Understood, "value"> & { value: unknown } =
      blank && def && isYesNo(def)
        ? { value, problem: blankYesNo(name, value) }
        : blank || !isValue(value)
          ? { value }
          : def && isDate(def)
            ? dateValue(name, value)
            : understand(name, def, value);
    if (found.problem) problems.push([name, found.problem]);
    if (found.echo) {
      const how =
        def && isYesNo(def)
          ? "as yes/no"
          : def && isDate(def)
            ? "as YYYY-MM-DD, the form MOCO takes"
            : "in the account's spelling";
      notes.push(`custom_properties: ${found.echo} (sent ${how})`);
    }
    if (!def && !complete) {
      notes.push(
        `custom_properties: ${json(name)} is not among the ${definitions.length} custom fields read (the list is incomplete), so its value was sent as given and could not be checked`,
      );
    }
    values[name] = found.value;
  }
  refuseValues(problems, "Nothing was written.");
  return { values: inMocoForm(values), notes, definitions: read.definitions };
}

const isValue = (v: unknown): v is CustomValue =>
  typeof v === "string" ||
  typeof v === "boolean" ||
  (Array.isArray(v) && v.every((x) => typeof x === "string"));

/** Custom field values as MOCO takes and stores them: a boolean is "1" or "0". */
const inMocoForm = (props: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(props).map(([k, v]) => [k, stored(v)]));
