import type { z } from "zod";
import { InputError } from "../errors.js";
import {
  dealTags,
  findCompanies,
  findPeople,
  forgetReference,
  me,
  propertyDefinitions,
  stages,
  users,
} from "../moco/reference.js";
import { fold } from "../text.js";
import type { LeadsContext } from "./context.js";
import { REFS, type RefIdField, type RefName } from "./refs.js";
import { newTags, stored } from "./verify.js";

/**
 * Names as alternatives to ids in lead writes. A name must match exactly up to case and accents;
 * no match or several matches is an error that lists candidates with their ids. Nothing is ever
 * picked by similarity, and a failed resolution happens before any write.
 */

type NameField = RefName;
type IdField = RefIdField;
const idFieldOf = (field: NameField): IdField => REFS[field].idField;

interface Candidate {
  id: number;
  label: string;
  /** Shown after the id: a stage's probability, a user's e-mail, a person's company. */
  detail?: string | null;
  /** Normalised forms that count as an exact match. */
  keys: string[];
}

interface Problem {
  field: NameField;
  message: string;
  candidates: string[];
}

const list = (cs: Candidate[]) => cs.map((c) => `${c.label} (id ${c.id}${c.detail ? `, ${c.detail}` : ""})`);

/** Candidates sharing a substring or a word (3+ letters) with the query: the "did you mean" list. */
function closest(query: string, candidates: Candidate[], max = 5): Candidate[] {
  const q = fold(query);
  const words = q.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 3);
  const score = (c: Candidate) => {
    if (c.keys.some((k) => k.includes(q) || q.includes(k))) return 2;
    return c.keys.some((k) => words.some((w) => k.includes(w))) ? 1 : 0;
  };
  return candidates
    .map((c) => ({ c, s: score(c) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s)
    .slice(0, max)
    .map((x) => x.c);
}

function choose(
  field: NameField,
  [what, whats]: readonly [string, string],
  query: string,
  candidates: Candidate[],
  { note = "", orAll = 0 }: { note?: string; orAll?: number } = {},
): number | Problem {
  const q = fold(query);
  const exact = candidates.filter((c) => c.keys.includes(q));
  const only = exact.length === 1 ? exact[0] : undefined;
  if (only) return only.id;
  const idField = idFieldOf(field);
  if (exact.length > 1) {
    return {
      field,
      message: `${field}: ${exact.length} ${whats} match "${query}": ${list(exact).join(", ")}. Pass ${idField} to choose one`,
      candidates: list(exact),
    };
  }
  // With nothing close, up to `orAll` of the candidates (a short list, or MOCO's own search hits).
  const found = closest(query, candidates);
  const near = found.length > 0 ? found : candidates.slice(0, orAll);
  const similar = near.length > 0 ? `candidates: ${list(near).join(", ")}` : "nothing similar";
  return {
    field,
    message: `${field}: no ${what} is named "${query}" (case and accents aside); ${similar}.${note} Pass ${idField} or the exact name`,
    candidates: list(near),
  };
}

/**
 * MOCO's term search, then (if that found no exact match) a second search for the longest word. A full
 * page of 100 hits each, so that a second record with the same name is not missed on a later page.
 */
async function searched<T extends { id: number; name: string }>(
  query: string,
  search: (term: string) => Promise<T[]>,
): Promise<T[]> {
  const first = await search(query.trim());
  if (first.some((r) => fold(r.name) === fold(query))) return first;
  const word = query
    .trim()
    .split(/\s+/)
    .reduce((a, b) => (b.length > a.length ? b : a), "");
  if (word.length < 3 || word === query.trim()) return first;
  const second = await search(word);
  return [...first, ...second.filter((r) => !first.some((f) => f.id === r.id))];
}

const TRY_FIND = " Try get_lead_options with search set to part of the name.";

async function resolveOne(field: NameField, query: string, ctx: LeadsContext): Promise<number | Problem> {
  const { moco, call } = ctx;
  switch (field) {
    case "deal_category": {
      const cs = (await stages(moco, call)).map((s) => ({
        id: s.id,
        label: s.name,
        detail: `${s.probability} %`,
        keys: [fold(s.name)],
      }));
      return choose(field, ["pipeline stage", "pipeline stages"], query, cs, { orAll: cs.length });
    }
    case "user": {
      if (fold(query) === "me") return (await me(moco, call)).id;
      const known = await users(moco, call);
      const cs = known.users.map((u) => ({
        id: u.id,
        label: u.name,
        detail: u.email,
        keys: [fold(u.name), ...(u.email ? [fold(u.email)] : [])],
      }));
      const note = known.refused
        ? " MOCO refused the user list to this API key (it lacks the Staff permission), so only the key's own user is known by name."
        : known.complete
          ? ""
          : ` Could not check every user: MOCO's user list is longer than the ${known.users.length} read.`;
      return choose(field, ["user", "users"], query, cs, { note });
    }
    case "company": {
      const found = await searched(query, (term) => findCompanies(moco, term, call, 100));
      const cs = found.map((c) => ({ id: c.id, label: c.name, keys: [fold(c.name)] }));
      return choose(field, ["company", "companies"], query, cs, { note: TRY_FIND, orAll: 5 });
    }
    case "person": {
      const found = await searched(query, (term) => findPeople(moco, term, call, 100));
      const cs = found.map((p) => ({
        id: p.id,
        label: p.name,
        detail: p.company,
        keys: [fold(p.name)],
      }));
      return choose(field, ["contact person", "contact people"], query, cs, { note: TRY_FIND, orAll: 5 });
    }
  }
}

/**
 * Turns the name fields of a write into ids: returns the write body in MOCO's terms. Every name is
 * looked up (in parallel); all problems are reported together, as one error, before anything is sent.
 */
async function resolveNames<T extends Partial<Record<NameField, string>>>(
  args: T,
  ctx: LeadsContext,
): Promise<Omit<T, NameField> & Partial<Record<IdField, number>>> {
  const body: Record<string, unknown> = { ...args };
  const fields = (Object.keys(REFS) as NameField[]).filter((f) => args[f] !== undefined);
  const results = await Promise.all(fields.map((f) => resolveOne(f, args[f] as string, ctx)));
  const problems: Problem[] = [];
  fields.forEach((field, i) => {
    const result = results[i] as number | Problem;
    delete body[field];
    if (typeof result === "number") body[idFieldOf(field)] = result;
    else problems.push(result);
  });
  if (problems.length > 0) {
    throw new InputError(
      `Nothing was written. ${problems.map((p) => p.message).join(". ")}`,
      Object.fromEntries(problems.map((p) => [p.field, p.candidates])),
      problems.some((p) => p.candidates.length > 0)
        ? "Pick one of the candidates (or look names up with get_lead_options) and call again."
        : "Look the names up with get_lead_options and call again.",
    );
  }
  return body as Omit<T, NameField> & Partial<Record<IdField, number>>;
}

/** Zod refinement: an id and a name for the same record contradict each other. */
export function noIdAndName(value: Record<string, unknown>, ctx: z.RefinementCtx) {
  for (const [name, { idField }] of Object.entries(REFS)) {
    if (value[name] !== undefined && value[idField] !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `give either ${idField} or ${name}, not both`,
      });
    }
  }
}

/** Custom field values as MOCO takes and stores them: a boolean is "1" or "0". */
const mocoValues = (props: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(props).map(([k, v]) => [k, stored(v)]));

/**
 * Everything a lead write needs before it is sent: names turned into ids, custom field values in
 * MOCO's form, and (when tags or custom fields are asked) the account's deal tags and field
 * definitions to check the outcome against. Reads only (mostly cached); a failure here means nothing
 * was written.
 */
export async function prepareWrite<T extends Partial<Record<NameField, string>> & { tags?: string[] }>(
  args: T & { custom_properties?: Record<string, unknown> },
  ctx: LeadsContext,
) {
  const [resolved, knownTags, definitions] = await Promise.all([
    resolveNames(args, ctx),
    args.tags ? dealTags(ctx.moco, ctx.call) : undefined,
    args.custom_properties ? propertyDefinitions(ctx.moco, ctx.call) : undefined,
  ]);
  const body = args.custom_properties
    ? { ...resolved, custom_properties: mocoValues(args.custom_properties) }
    : resolved;
  // The write will create these tags, so the cached list is about to be stale.
  if (args.tags && knownTags && newTags(args.tags, knownTags.tags).length > 0) {
    forgetReference(ctx.moco, "tags");
  }
  return { body, knownTags, definitions };
}
