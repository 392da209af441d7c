import {
  apiPath,
  type CallOptions,
  type MocoClient,
  type MocoResponse,
  type PageInfo,
  type Query,
} from "./client.js";
import { MocoError } from "./errors.js";
import { type Lead, leadSchema, noteAbsent, unknownField } from "./schemas.js";

/** The lead operations MOCO offers, in MOCO's terms. Tools build on these. */
export interface LeadFilters {
  status?: string;
  tags?: string[];
  company_id?: number;
  closed_from?: string;
  closed_to?: string;
  ids?: number[];
  updated_after?: string;
  custom_properties?: Record<string, string | boolean | string[]>;
  page?: number;
  per_page?: number;
}

export type LeadWrite = Record<string, unknown>;

export interface LeadPage {
  leads: Lead[];
  page: PageInfo;
}

export function leadQuery(filters: LeadFilters): Query {
  const query: Query = {
    status: filters.status,
    tags: filters.tags?.join(","),
    company_id: filters.company_id,
    closed_from: filters.closed_from,
    closed_to: filters.closed_to,
    ids: filters.ids?.join(","),
    updated_after: filters.updated_after,
    page: filters.page,
    per_page: filters.per_page,
  };
  for (const [name, value] of Object.entries(filters.custom_properties ?? {})) {
    if (Array.isArray(value)) query[`custom_properties[${name}][]`] = value;
    else query[`custom_properties[${name}]`] = String(value);
  }
  return query;
}

/** Fields without which a lead means nothing here: missing, it cannot be shown, summed or synced. */
const ESSENTIAL: Record<string, string> = {
  name: "name",
  status: "status",
  money: "value (money)",
  currency: "currency",
  created_at: "creation time",
  updated_at: "update time",
};

/**
 * A lead as MOCO sent it, or a server error naming the lead and the field. Such a lead reads the same
 * way on every call until someone fixes it in MOCO, so the error says that, not to call again.
 */
export function parseLead(data: unknown): Lead {
  const parsed = leadSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const raw = data !== null && typeof data === "object" ? (data as Record<string, unknown>) : undefined;
    const id = typeof raw?.id === "number" && Number.isSafeInteger(raw.id) ? raw.id : undefined;
    const field = String(issue?.path[0] ?? "");
    const what = id === undefined ? "a lead" : `lead ${id}`;
    const value = raw && field in raw ? raw[field] : undefined;
    const message =
      id === undefined
        ? `MOCO sent a lead this server cannot read (${issue?.path.join(".") || "body"}: ${issue?.message})`
        : ESSENTIAL[field] && (value === null || value === undefined)
          ? `MOCO sent ${what} without a ${ESSENTIAL[field]}; this server cannot read it. It stays so until the lead is fixed in MOCO: give ${what} a ${ESSENTIAL[field]} there`
          : `MOCO sent ${what} in a form this server cannot read (${issue?.path.join(".") || "body"}: ${issue?.message}). It stays so until the lead is fixed in MOCO: check that field of ${what} there`;
    // A lead MOCO holds in a form we cannot read stays so: not a fault to retry.
    throw new MocoError({ kind: id === undefined ? "server" : "unreadable", message });
  }
  if (data !== null && typeof data === "object") noteAbsent(parsed.data, data);
  return parsed.data;
}

/** One page of GET /deals, checked against the question: a page MOCO's filter excludes is refused. */
export async function listLeads(
  moco: MocoClient,
  filters: LeadFilters,
  options?: CallOptions,
): Promise<LeadPage> {
  const page = await leadPage(moco, filters, options);
  checkAnswer(filters, page.leads);
  return page;
}

/** One page of GET /deals as MOCO sent it, for a caller that sorts out what was not asked for itself. */
async function leadPage(moco: MocoClient, filters: LeadFilters, options?: CallOptions): Promise<LeadPage> {
  const res = await moco.get(apiPath("deals"), { ...options, query: leadQuery(filters) });
  if (!Array.isArray(res.data)) {
    throw new MocoError({ kind: "server", message: "MOCO sent something other than a list of leads" });
  }
  return { leads: res.data.map(parseLead), page: res.page };
}

/**
 * MOCO answered a list request with leads its filter excludes (a lead not among the `ids` asked for,
 * one not updated after `updated_after`): the answer is not one to the question asked, so it is never
 * used as one. `filter` names the filter MOCO ignored.
 */
export class IgnoredFilterError extends MocoError {
  constructor(
    readonly filter: "ids" | "updated_after",
    message: string,
  ) {
    super({ kind: "server", message });
    this.name = "IgnoredFilterError";
  }
}

/**
 * Throws IgnoredFilterError when a page of leads cannot be MOCO's answer to `filters`. Checked are the
 * filters a lead shows exactly: `ids` (every lead must be one asked for) and `updated_after` (none may
 * be older; a second of slack, as MOCO may compare > or >= and keep sub-seconds).
 */
export function checkAnswer(filters: Pick<LeadFilters, "ids" | "updated_after">, leads: readonly Lead[]) {
  if (filters.ids) {
    const asked = new Set(filters.ids);
    const stray = leads.filter((l) => !asked.has(l.id));
    if (stray.length > 0)
      throw new IgnoredFilterError(
        "ids",
        `MOCO ignored the ids filter: asked for ${asked.size} lead${asked.size === 1 ? "" : "s"} by id, it answered with ${stray.length} not asked for (e.g. lead ${stray[0]?.id}); that answer was not used`,
      );
  }
  const since = filters.updated_after ? Date.parse(filters.updated_after) : Number.NaN;
  if (Number.isFinite(since)) {
    const old = leads.find((l) => Date.parse(l.updated_at) < since - 1000);
    if (old)
      throw new IgnoredFilterError(
        "updated_after",
        `MOCO ignored the updated_after filter: asked for leads updated after ${filters.updated_after}, it answered with lead ${old.id}, updated ${old.updated_at}; that answer was not used`,
      );
  }
}

export async function getLead(moco: MocoClient, id: number, options?: CallOptions): Promise<Lead> {
  return parseLead((await moco.get(apiPath("deals", id), options)).data);
}

/** MOCO's answer to a write it carried out (a 2xx): the thing written, or why it cannot be read. */
export type WriteAnswer<T> = { value: T } | { unreadable: string; status: number };

/**
 * Sends a write and reads its answer. A 2xx means MOCO carried the write out; a body that cannot be
 * read then (empty, HTML, not a lead) is not a failure to repeat, so it is returned as `unreadable`
 * for the caller to settle. Every other failure is thrown as it came.
 */
export async function written<T>(
  send: Promise<MocoResponse>,
  read: (data: unknown) => T,
): Promise<WriteAnswer<T>> {
  let res: MocoResponse;
  try {
    res = await send;
  } catch (error) {
    const status = error instanceof MocoError ? (error.status ?? 0) : 0;
    if (status >= 200 && status <= 299) return { unreadable: (error as MocoError).message, status };
    throw error;
  }
  if (res.data === null) return { unreadable: "its body was empty", status: res.status };
  try {
    return { value: read(res.data) };
  } catch (error) {
    if (error instanceof MocoError) return { unreadable: error.message, status: res.status };
    throw error;
  }
}

/**
 * The error for a create whose 2xx answer cannot be read: MOCO stored something, this server cannot
 * tell what. `mayHaveSucceeded` makes the tool say to look before creating again, never to retry, and
 * copies of MOCO's data (the lead mirror) are told they may be behind.
 */
export async function unreadableCreate(
  moco: MocoClient,
  path: string,
  what: string,
  answer: { unreadable: string; status: number },
): Promise<MocoError> {
  await moco.reportUncertain({ method: "POST", path });
  return new MocoError({
    kind: "server",
    status: answer.status,
    message: `MOCO accepted the ${what} (${answer.status}) but its answer cannot be read (${answer.unreadable}), so what it stored is unknown`,
    mayHaveSucceeded: true,
  });
}

/** Notes for the caller on how a written lead was read, e.g. again after an unreadable answer. */
const readNotes = new WeakMap<Lead, string>();
export const writeNote = (lead: Lead): string | undefined => readNotes.get(lead);

/** Whether the answer lacked a field the write set: what MOCO stored there is only known by reading. */
const lacksAsked = (lead: Lead, body: LeadWrite) => Object.keys(body).some((f) => unknownField(lead, f));

export async function createLead(moco: MocoClient, body: LeadWrite, options?: CallOptions): Promise<Lead> {
  const path = apiPath("deals");
  const answer = await written(moco.post(path, body, options), parseLead);
  if (!("value" in answer)) throw await unreadableCreate(moco, path, "new lead", answer);
  return lacksAsked(answer.value, body) ? reread(moco, answer.value, options) : answer.value;
}

/**
 * A PUT is idempotent and names its lead, so an answer that cannot be read (or lacks a field the
 * change set) is settled by reading the lead again; only when that fails too is the outcome unknown.
 */
export async function updateLead(moco: MocoClient, id: number, body: LeadWrite, options?: CallOptions) {
  const path = apiPath("deals", id);
  const answer = await written(moco.put(path, body, options), parseLead);
  if ("value" in answer)
    return lacksAsked(answer.value, body) ? reread(moco, answer.value, options) : answer.value;
  let lead: Lead;
  try {
    lead = await getLead(moco, id, options);
  } catch (error) {
    await moco.reportUncertain({ method: "PUT", path });
    const why = error instanceof Error ? error.message : String(error);
    throw new MocoError({
      kind: "server",
      status: answer.status,
      message: `MOCO accepted the change of lead ${id} (${answer.status}) but its answer cannot be read (${answer.unreadable}), and reading the lead again failed (${why})`,
      mayHaveSucceeded: true,
    });
  }
  readNotes.set(
    lead,
    `MOCO's answer to the change could not be read (${answer.status}: ${answer.unreadable}); lead ${id} was read again from MOCO, so this is what it holds now`,
  );
  return lead;
}

/** The lead as MOCO holds it now; the partial answer when that read fails (its gaps count as unknown). */
async function reread(moco: MocoClient, partial: Lead, options?: CallOptions): Promise<Lead> {
  try {
    return await getLead(moco, partial.id, options);
  } catch {
    return partial;
  }
}

/**
 * MOCO answers 200 with the deleted lead (OpenAPI) or 204 with nothing. Any success means deleted; the
 * body is not read, so a change in what MOCO sends back cannot turn a done delete into an error.
 */
export async function deleteLead(moco: MocoClient, id: number, options?: CallOptions): Promise<void> {
  try {
    await moco.delete(apiPath("deals", id), options);
  } catch (error) {
    // A success status with a body that is not even JSON is still a success.
    const status = error instanceof MocoError ? (error.status ?? 0) : 0;
    if (status < 200 || status > 299) throw error;
  }
}

/** MOCO's answer to a request for leads by id, held to what was asked. */
export interface LeadsById {
  /** The leads asked for that MOCO holds, in order of id. */
  leads: Lead[];
  /** Ids MOCO answered 404 for: confirmed not there. */
  missing: number[];
  /** Leads MOCO sent that were not asked for (a MOCO that ignored the ids filter): left out. */
  unasked: number[];
}

/**
 * Leads by id: one `ids=` request (up to 100), and only the leads asked for are kept. A lead absent
 * from that answer is not taken for gone: a MOCO that ignores the filter, or pages it, leaves leads
 * out that exist. Each absent id is read on its own, and only a 404 there counts as missing. Costs
 * one request when MOCO answers as asked, one more per id it left out.
 */
export async function leadsByIds(
  moco: MocoClient,
  ids: readonly number[],
  options?: CallOptions,
): Promise<LeadsById> {
  const asked = new Set(ids);
  // Not listLeads: an answer holding leads not asked for (a MOCO that ignores `ids`) is sorted here,
  // the asked ones kept, the rest named, and an asked lead the answer left out read on its own.
  const page = await leadPage(moco, { ids: [...asked], per_page: 100 }, options);
  const byId = new Map<number, Lead>();
  const unasked = new Set<number>();
  for (const lead of page.leads) {
    if (asked.has(lead.id)) byId.set(lead.id, lead);
    else unasked.add(lead.id);
  }
  const absent = [...asked].filter((id) => !byId.has(id));
  const missing: number[] = [];
  const read = await Promise.allSettled(absent.map((id) => getLead(moco, id, options)));
  read.forEach((r, i) => {
    const id = absent[i] as number;
    if (r.status === "fulfilled") byId.set(id, r.value);
    else if (r.reason instanceof MocoError && r.reason.kind === "not_found") missing.push(id);
    else throw r.reason;
  });
  return {
    leads: [...byId.values()].sort((a, b) => a.id - b.id),
    missing: missing.sort((a, b) => a - b),
    unasked: [...unasked].sort((a, b) => a - b),
  };
}
