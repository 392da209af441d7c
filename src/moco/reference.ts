import { z } from "zod";
import { apiPath, type CallOptions, type MocoClient, type Query } from "./client.js";
import { MocoError } from "./errors.js";
import { readPages } from "./pages.js";
import { categorySchema, fullName } from "./schemas.js";

/**
 * The records a lead refers to: pipeline stages, users, deal tags, custom property definitions,
 * companies and contact people. The small account-wide lists are cached per MocoClient for
 * REFERENCE_TTL_MS, so resolving names on every write costs MOCO requests only once in a while.
 */
export const REFERENCE_TTL_MS = 5 * 60_000;

export interface Stage {
  id: number;
  name: string;
  probability: number;
}
export interface UserEntry {
  id: number;
  name: string;
  email: string | null;
  firstname?: string;
  lastname?: string;
  /** true: MOCO has archived the user (a departed colleague); only allUsers() lists such users. */
  archived?: boolean;
}
export interface Users {
  users: UserEntry[];
  me: UserEntry;
  /** false: not every user is known, because MOCO refused /users or the list was cut at MAX_PAGES. */
  complete: boolean;
  /** true: MOCO refused /users (403, the key lacks the Staff permission); only `me` is known. */
  refused: boolean;
}
export interface DealTags {
  tags: string[];
  /** false: the account has more tags than MAX_PAGES pages hold; only those were read. */
  complete: boolean;
}
export interface PropertyDefinitions {
  definitions: PropertyDefinition[];
  /** false: the list was cut at MAX_PAGES pages. */
  complete: boolean;
}
export interface PropertyDefinition {
  name: string;
  kind: string;
  /** The choices of a Select or MultiSelect field. */
  options: string[];
}
export interface CompanyEntry {
  id: number;
  name: string;
  type: string | null;
}
export interface PersonEntry {
  id: number;
  name: string;
  company: string | null;
}

const userSchema = z.looseObject({
  id: z.number(),
  firstname: z.string(),
  lastname: z.string(),
  email: z.string().nullish(),
  active: z.boolean().nullish(),
});
const profileSchema = z.looseObject({
  id: z.number(),
  email: z.string().nullish(),
  full_name: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
});
const tagSchema = z.looseObject({ name: z.string() });
const definitionSchema = z.looseObject({
  name: z.string(),
  kind: z.string(),
  defaults: z.array(z.unknown()).nullish(),
});
const companySchema = z.looseObject({ id: z.number(), name: z.string(), type: z.string().nullish() });
const personSchema = z.looseObject({
  id: z.number(),
  firstname: z.string().nullish(),
  lastname: z.string().nullish(),
  company: z.looseObject({ name: z.string() }).nullish(),
});

/**
 * The reference lists rarely span many pages; this bounds the requests if an account is unusual.
 * A list cut here says so (`complete: false`), so nothing is reported as missing that was not read.
 */
const MAX_PAGES = 5;

/** One page of a reference list, or a server error naming what could not be read. */
function readList<T>(data: unknown, schema: z.ZodType<T>, what: string): T[] {
  const parsed = z.array(schema).safeParse(data);
  if (!parsed.success) throw new MocoError({ kind: "server", message: `MOCO sent an unreadable ${what}` });
  return parsed.data;
}

async function getList<T>(
  moco: MocoClient,
  path: string,
  schema: z.ZodType<T>,
  query: Query,
  options: CallOptions | undefined,
): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  const read = await readPages(moco, path, query, { ...options, maxPages: MAX_PAGES }, (page) => {
    items.push(...readList(page.items, schema, `list for ${path}`));
  });
  return { items, complete: read.complete };
}

interface Entry {
  at: number;
  value: unknown;
}
const caches = new WeakMap<MocoClient, Map<string, Entry>>();

/** Only successful answers are cached; a failure (or a cancelled call) is retried next time. */
async function cached<T>(moco: MocoClient, key: string, load: () => Promise<T>): Promise<T> {
  const cache = caches.get(moco) ?? new Map<string, Entry>();
  caches.set(moco, cache);
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < REFERENCE_TTL_MS) return hit.value as T;
  const value = await load();
  cache.set(key, { at: Date.now(), value });
  return value;
}

/** Forget cached lists, e.g. after a write created a tag. */
export function forgetReference(moco: MocoClient, key?: "tags"): void {
  if (key) caches.get(moco)?.delete(key);
  else caches.delete(moco);
}

export const stages = (moco: MocoClient, options?: CallOptions): Promise<Stage[]> =>
  cached(moco, "stages", async () =>
    (await getList(moco, apiPath("deal_categories"), categorySchema, {}, options)).items.map(
      ({ id, name, probability }) => ({ id, name, probability }),
    ),
  );

export const me = (moco: MocoClient, options?: CallOptions): Promise<UserEntry> =>
  cached(moco, "me", async () => {
    const parsed = profileSchema.safeParse((await moco.get(apiPath("profile"), options)).data);
    if (!parsed.success) throw new MocoError({ kind: "server", message: "MOCO sent an unreadable profile" });
    const p = parsed.data;
    const name = p.full_name || [p.first_name, p.last_name].filter(Boolean).join(" ");
    return { id: p.id, name, email: p.email ?? null };
  });

/**
 * Active users: those a lead can be given to. A key without the Staff permission gets 403 on /users:
 * then only its own user.
 */
export async function users(moco: MocoClient, options?: CallOptions): Promise<Users> {
  const all = await allUsers(moco, options);
  return { ...all, users: all.users.filter((u) => !u.archived || u.id === all.me.id) };
}

/**
 * Active and archived users (`archived` set): those leads can belong to. A departed colleague's
 * leads keep her as their owner, so a filter has to know her, and say she is archived. One cached
 * request serves both lists.
 */
export const allUsers = (moco: MocoClient, options?: CallOptions): Promise<Users> =>
  cached(moco, "users", () => loadUsers(moco, options));

async function loadUsers(moco: MocoClient, options?: CallOptions): Promise<Users> {
  const self = await me(moco, options);
  let list: { items: z.infer<typeof userSchema>[]; complete: boolean };
  const query = { include_archived: true };
  try {
    list = await getList(moco, apiPath("users"), userSchema, query, options);
  } catch (error) {
    if (error instanceof MocoError && error.kind === "forbidden") {
      return { users: [self], me: self, complete: false, refused: true };
    }
    throw error;
  }
  const entries: UserEntry[] = list.items.map((u) => ({
    id: u.id,
    name: fullName(u),
    email: u.email ?? null,
    firstname: u.firstname,
    lastname: u.lastname,
    ...(u.active === false ? { archived: true } : {}),
  }));
  if (!entries.some((u) => u.id === self.id)) entries.push(self);
  return { users: entries, me: self, complete: list.complete, refused: false };
}

export const dealTags = (moco: MocoClient, options?: CallOptions): Promise<DealTags> =>
  cached(moco, "tags", async () => {
    const list = await getList(moco, apiPath("tags"), tagSchema, { context: "Deal" }, options);
    return { tags: list.items.map((t) => t.name), complete: list.complete };
  });

export const propertyDefinitions = (moco: MocoClient, options?: CallOptions): Promise<PropertyDefinitions> =>
  cached(moco, "properties", async () => {
    const path = apiPath("account", "custom_properties");
    const list = await getList(moco, path, definitionSchema, { entity: "Deal" }, options);
    const definitions = list.items.map((d) => ({
      name: d.name,
      kind: d.kind,
      options: (d.defaults ?? []).filter((v): v is string => typeof v === "string"),
    }));
    return { definitions, complete: list.complete };
  });

/** MOCO's own term search (name, identifier); one page, never cached. */
export async function findCompanies(
  moco: MocoClient,
  term: string,
  options?: CallOptions,
  limit = 20,
): Promise<CompanyEntry[]> {
  const res = await moco.get(apiPath("companies"), { ...options, query: { term, per_page: limit } });
  return readList(res.data, companySchema, "company list").map((c) => ({
    id: c.id,
    name: c.name,
    type: c.type ?? null,
  }));
}

/** The first pages of all companies (for names MOCO's term search cannot match); never cached. */
export async function listCompanies(moco: MocoClient, options?: CallOptions): Promise<CompanyEntry[]> {
  return (await getList(moco, apiPath("companies"), companySchema, {}, options)).items.map((c) => ({
    id: c.id,
    name: c.name,
    type: c.type ?? null,
  }));
}

/** MOCO's term search over contact people (name, work e-mail, company); one page, never cached. */
export async function findPeople(
  moco: MocoClient,
  term: string,
  options?: CallOptions,
  limit = 20,
): Promise<PersonEntry[]> {
  const res = await moco.get(apiPath("contacts", "people"), { ...options, query: { term, per_page: limit } });
  return readList(res.data, personSchema, "contact list").map((p) => ({
    id: p.id,
    name: fullName(p),
    company: p.company?.name ?? null,
  }));
}
