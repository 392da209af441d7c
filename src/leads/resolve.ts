import { InputError } from "../errors.js";
import {
  allUsers,
  dealTags,
  findCompanies,
  findPeople,
  forgetReference,
  listCompanies,
  me,
  stages,
  type UserEntry,
  type Users,
  users,
} from "../moco/reference.js";
import { fold, foldLoose, label, quoted } from "../text.js";
import type { LeadsContext } from "./context.js";
import { writeValues } from "./custom-values.js";
import { spelledSearch } from "./name-search.js";
import { REFS, type RefIdField, type RefName } from "./refs.js";
import { newTags } from "./verify.js";

/**
 * Names as alternatives to ids, for reads (filters) and writes alike: one rule. A name is used when it
 * matches one record exactly (case, accents and ü/ue aside: a full name, an e-mail), else when it is
 * one record's first or last name, else when it begins one record's name. No match, or several, is an
 * error listing candidates with their ids, raised before any lead is read or written. A match that
 * was not exact is said (a note for the summary, a warning for a write).
 *
 * Users: a read knows archived users too (a departed colleague still owns her leads), and says so; a
 * write names only an active user (an archived one is refused as archived, not as unknown).
 */

type NameField = RefName;
type IdField = RefIdField;
const idFieldOf = (field: NameField): IdField => REFS[field].idField;

interface Candidate {
  id: number;
  label: string;
  /** Shown after the id: a stage's probability, a user's e-mail, a person's company. */
  detail?: string | null;
  /** Forms that count as an exact match. */
  exact: string[];
  /** Parts that identify the record when unique: a first or last name. */
  parts?: string[];
  /** A user MOCO has archived. */
  archived?: boolean;
}

export interface Resolved {
  field: NameField;
  id: number;
  label: string;
  /** Set when the match was not exact: how it was made, e.g. 'first name "Lea"'. */
  loose?: string;
  archived?: boolean;
}

interface Problem {
  field: NameField;
  message: string;
  candidates: string[];
  /** Several records matched (not none). */
  several?: true;
}

const WHAT: Record<NameField, readonly [string, string]> = {
  deal_category: ["pipeline stage", "pipeline stages"],
  user: ["user", "users"],
  company: ["company", "companies"],
  person: ["contact person", "contact people"],
};

/** "id 5", or "id 5, archived": how a record is named after its label, in lists and echoes alike. */
const idText = (r: { id: number; archived?: boolean }) => `id ${r.id}${r.archived ? ", archived" : ""}`;

const list = (cs: Candidate[]) =>
  cs.map((c) => `${label(c.label)} (${idText(c)}${c.detail ? `, ${label(c.detail)}` : ""})`);

/** The one way a resolved record is returned: its id and label, whether archived, how it matched. */
const resolved = (field: NameField, c: Candidate, loose?: string): Resolved => ({
  field,
  id: c.id,
  label: c.label,
  ...(loose ? { loose } : {}),
  ...(c.archived ? { archived: true } : {}),
});

/** Candidates sharing a substring or a word (3+ letters) with the query: the "did you mean" list. */
function closest(query: string, candidates: Candidate[], max = 5): Candidate[] {
  const q = foldLoose(query);
  const words = q.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 3);
  const keys = (c: Candidate) => [...c.exact, ...(c.parts ?? [])];
  const score = (c: Candidate) => {
    if (keys(c).some((k) => k.includes(q) || q.includes(k))) return 2;
    return keys(c).some((k) => words.some((w) => k.includes(w))) ? 1 : 0;
  };
  return candidates
    .map((c) => ({ c, s: score(c) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s)
    .slice(0, max)
    .map((x) => x.c);
}

/** How a field is named to the caller: writes take deal_category (or deal_category_id), reads stage. */
interface Naming {
  arg: string;
  id: string;
}
const WRITE_NAMING = (field: NameField): Naming => ({ arg: field, id: idFieldOf(field) });

function choose(
  field: NameField,
  query: string,
  candidates: Candidate[],
  {
    note = "",
    orAll = 0,
    naming = WRITE_NAMING(field),
  }: { note?: string; orAll?: number; naming?: Naming } = {},
): Resolved | Problem {
  const [what, whats] = WHAT[field];
  const q = foldLoose(query);
  const tiers: [Candidate[], string | undefined][] = [
    [candidates.filter((c) => c.exact.includes(q)), undefined],
    [candidates.filter((c) => c.parts?.includes(q)), "by first or last name"],
    [
      q.length < 2
        ? []
        : candidates.filter((c) => [...c.exact, ...(c.parts ?? [])].some((k) => k.startsWith(q))),
      "as the beginning of the name",
    ],
  ];
  for (const [found, how] of tiers) {
    const only = found.length === 1 ? found[0] : undefined;
    if (only) {
      const loose = how && `${quoted(query)} matched ${what} ${label(only.label)} (${idText(only)}) ${how}`;
      return resolved(field, only, loose);
    }
    if (found.length > 1) {
      return {
        field,
        message: `${naming.arg}: ${found.length} ${whats} match ${quoted(query)}: ${list(found).join(", ")}. Pass ${naming.id} (or the full name) to choose one`,
        candidates: list(found),
        several: true,
      };
    }
  }
  // With nothing close, up to `orAll` of the candidates (a short list, or MOCO's own search hits).
  const found = closest(query, candidates);
  const near = found.length > 0 ? found : candidates.slice(0, orAll);
  const similar = near.length > 0 ? `candidates: ${list(near).join(", ")}` : "nothing similar";
  return {
    field,
    message: `${naming.arg}: no ${what} is named ${quoted(query)} (case and accents aside); ${similar}.${note} Pass ${naming.id} or the exact name`,
    candidates: list(near),
  };
}

/**
 * MOCO's term search, then (if that found no exact match) a second search for the longest word, then
 * (for names MOCO's search cannot match, such as "Mueller" for "Müller") the first pages of the whole
 * list. Full pages of 100 hits, so that a second record with the same name is not missed.
 */
async function searched<T extends { id: number; name: string }>(
  query: string,
  search: (term: string) => Promise<T[]>,
  all: () => Promise<T[]>,
): Promise<T[]> {
  const hit = (rs: T[]) => rs.some((r) => foldLoose(r.name) === foldLoose(query));
  const first = await search(query.trim());
  if (hit(first)) return first;
  const word = query
    .trim()
    .split(/\s+/)
    .reduce((a, b) => (b.length > a.length ? b : a), "");
  const second = word.length >= 3 && word !== query.trim() ? await search(word) : [];
  const found = [...first, ...second.filter((r) => !first.some((f) => f.id === r.id))];
  if (hit(found) || found.length > 0) return found;
  const q = foldLoose(query);
  return (await all()).filter((r) => foldLoose(r.name).includes(q) || q.includes(foldLoose(r.name)));
}

const TRY_FIND = " Try get_lead_options with search set to part of the name.";
const userNote = (known: Users) =>
  known.refused
    ? " MOCO refused the user list to this API key (it lacks the Staff permission), so only the key's own user is known by name."
    : known.complete
      ? ""
      : ` Could not check every user: MOCO's user list is longer than the ${known.users.length} read.`;

const userCandidate = (u: UserEntry): Candidate => ({
  id: u.id,
  label: u.name,
  detail: u.email,
  exact: [foldLoose(u.name), ...(u.email ? [foldLoose(u.email)] : [])],
  parts: [u.firstname, u.lastname].filter(Boolean).map((n) => foldLoose(n as string)),
  ...(u.archived ? { archived: true } : {}),
});

/** A lead is given only to an active user: an archived one is refused, saying so, not "unknown". */
const notArchived = (found: Resolved | Problem, naming: Naming, candidates: string[] = []) =>
  "archived" in found && found.archived
    ? {
        field: found.field,
        message: `${naming.arg}: ${label(found.label)} (id ${found.id}) is archived in MOCO; pick an active user`,
        candidates,
      }
    : found;

/** A user by id or name among the users given. */
function pickUser(query: string | number, known: Users, naming: Naming): Resolved | Problem {
  const cs = known.users.map(userCandidate);
  const note = userNote(known);
  return typeof query === "number"
    ? byId("user", query, cs, known.complete ? "" : note, naming)
    : choose("user", query, cs, { note, naming });
}

/**
 * A user for a read (`reads`) or to give a lead to. A read looks at every user MOCO has, the archived
 * too. A write looks at active users only (so an archived namesake makes no ambiguity, and a cached
 * list costs nothing), and at archived ones only for an id or name no active user has: to refuse it
 * as archived rather than pass it on or call it unknown.
 */
async function resolveUser(
  query: string | number,
  ctx: LeadsContext,
  naming: Naming,
  reads: boolean,
): Promise<Resolved | Problem> {
  const { moco, call } = ctx;
  if (query === "me" || (typeof query === "string" && fold(query) === "me")) {
    const self = await me(moco, call);
    return { field: "user", id: self.id, label: self.name };
  }
  if (reads) return pickUser(query, await allUsers(moco, call), naming);
  const active = await users(moco, call);
  const found = pickUser(query, active, naming);
  // Archived users are looked at only for a name or id no active user has: several active matches
  // stay that problem, whatever an archived namesake.
  const listed = typeof query === "number" ? active.users.some((u) => u.id === query) : !("message" in found);
  if (listed || ("several" in found && found.several)) return found;
  const all = await allUsers(moco, call);
  const gone = pickUser(query, { ...all, users: all.users.filter((u) => u.archived) }, naming);
  return "archived" in gone ? notArchived(gone, naming, "message" in found ? found.candidates : []) : found;
}

async function resolveOne(
  field: NameField,
  query: string | number,
  ctx: LeadsContext,
  naming: Naming,
  reads: boolean,
): Promise<Resolved | Problem> {
  const { moco, call } = ctx;
  switch (field) {
    case "deal_category": {
      const cs = (await stages(moco, call)).map((s) => ({
        id: s.id,
        label: s.name,
        detail: `${s.probability} %`,
        exact: [foldLoose(s.name)],
      }));
      if (typeof query === "number") return byId(field, query, cs, "", naming);
      return choose(field, query, cs, { orAll: cs.length, naming });
    }
    case "user":
      return resolveUser(query, ctx, naming, reads);
    case "company": {
      const found = await searched(
        String(query),
        spelledSearch((term) => findCompanies(moco, term, call, 100)),
        () => listCompanies(moco, call),
      );
      const cs = found.map((c) => ({ id: c.id, label: c.name, exact: [foldLoose(c.name)] }));
      return choose(field, String(query), cs, { note: TRY_FIND, orAll: 5, naming });
    }
    case "person": {
      const found = await searched(
        String(query),
        spelledSearch((term) => findPeople(moco, term, call, 100)),
        // MOCO's person list without a term: its first 100, for names its search cannot match.
        () => findPeople(moco, "", call, 100),
      );
      const cs = found.map((p) => ({
        id: p.id,
        label: p.name,
        detail: p.company,
        exact: [foldLoose(p.name)],
      }));
      return choose(field, String(query), cs, { note: TRY_FIND, orAll: 5, naming });
    }
  }
}

/** An id given where a name could stand: checked against the list when the list is complete. */
function byId(
  field: NameField,
  id: number,
  cs: Candidate[],
  incomplete: string,
  naming: Naming,
): Resolved | Problem {
  const found = cs.find((c) => c.id === id);
  if (found) return resolved(field, found);
  if (incomplete) return { field, id, label: `id ${id}` };
  const [what] = WHAT[field];
  return {
    field,
    message: `${naming.arg}: no ${what} has the id ${id}; ${list(cs.slice(0, 10)).join(", ")}`,
    candidates: list(cs.slice(0, 10)),
  };
}

/** Resolves every name given, in parallel; all problems are reported together, as one error. */
async function resolveAll(
  asked: Partial<Record<NameField, string | number>>,
  ctx: LeadsContext,
  nothing: string,
  naming: (field: NameField) => Naming,
  reads: boolean,
): Promise<Resolved[]> {
  const fields = (Object.keys(REFS) as NameField[]).filter((f) => asked[f] !== undefined);
  const results = await Promise.all(
    fields.map((f) => resolveOne(f, asked[f] as string | number, ctx, naming(f), reads)),
  );
  const problems = results.filter((r): r is Problem => "message" in r);
  if (problems.length > 0) {
    throw new InputError(
      `${nothing} ${problems.map((p) => p.message).join(". ")}`,
      Object.fromEntries(problems.map((p) => [naming(p.field).arg, p.candidates])),
      problems.some((p) => p.candidates.length > 0)
        ? "Pick one of the candidates (or look names up with get_lead_options) and call again."
        : "Look the names up with get_lead_options and call again.",
    );
  }
  return results as Resolved[];
}

/**
 * The user and stage of a read filter, as ids, with how each was understood ("user = Anna Schmid
 * (id 5)"). Throws before any lead is read when a name matches nothing or several records.
 */
export async function resolveFilter(
  filter: { user?: string | number; stage?: string | number },
  ctx: LeadsContext,
): Promise<{ userId?: number; stageId?: number; echo: string[] }> {
  const asked = { user: filter.user, deal_category: filter.stage };
  const found = await resolveAll(
    asked,
    ctx,
    "Nothing was searched.",
    (f) => (f === "deal_category" ? { arg: "stage", id: "the stage id" } : { arg: f, id: `the ${f} id` }),
    true,
  );
  const echo = found.map(
    (r) =>
      // A record the list could not confirm is labelled by its id alone: not "id 5 (id 5)".
      `${r.field === "deal_category" ? "stage" : r.field} = ${r.label === `id ${r.id}` ? idText(r) : `${label(r.label)} (${idText(r)})`}${r.loose ? `, ${r.loose.replace(/^.*? matched .*? (by|as) /, "$1 ")}` : ""}`,
  );
  const id = (f: NameField) => found.find((r) => r.field === f)?.id;
  return { userId: id("user"), stageId: id("deal_category"), echo };
}

/**
 * Turns the name fields of a write into ids: returns the write body in MOCO's terms and a warning
 * for each name that was not matched exactly. An id is passed on as given (a write with ids costs
 * one request); a user named is checked to be active.
 */
async function resolveNames<T extends Partial<Record<NameField, string>>>(args: T, ctx: LeadsContext) {
  const body: Record<string, unknown> = { ...args };
  const found = await resolveAll(args, ctx, "Nothing was written.", WRITE_NAMING, false);
  for (const r of found) {
    delete body[r.field];
    body[idFieldOf(r.field)] = r.id;
  }
  const notes = found.flatMap((r) => (r.loose ? [`${r.field}: ${r.loose}; check it is the one meant`] : []));
  return { body: body as Omit<T, NameField> & Partial<Record<IdField, number>>, notes };
}

/**
 * Everything a lead write needs before it is sent: names turned into ids, custom field values checked
 * and in MOCO's form (custom-values.ts), and (when tags or custom fields are asked) the account's deal
 * tags and field definitions to check the outcome against. Reads only (mostly cached); a failure here
 * means nothing was written.
 */
export async function prepareWrite<T extends Partial<Record<NameField, string>> & { tags?: string[] }>(
  args: T & { custom_properties?: Record<string, unknown> },
  ctx: LeadsContext,
) {
  const [{ body: resolved, notes }, knownTags, custom] = await Promise.all([
    resolveNames(args, ctx),
    args.tags ? dealTags(ctx.moco, ctx.call) : undefined,
    args.custom_properties ? writeValues(args.custom_properties, ctx) : undefined,
  ]);
  const body = custom ? { ...resolved, custom_properties: custom.values } : resolved;
  // The write will create these tags, so the cached list is about to be stale.
  if (args.tags && knownTags && newTags(args.tags, knownTags.tags).length > 0) {
    forgetReference(ctx.moco, "tags");
  }
  return { body, knownTags, definitions: custom?.definitions, notes: [...notes, ...(custom?.notes ?? [])] };
}
