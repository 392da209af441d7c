import { apiPath, type CallOptions, type MocoClient, type PageInfo, type Query } from "./client.js";
import { MocoError } from "./errors.js";
import { type Lead, leadSchema } from "./schemas.js";

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

export function parseLead(data: unknown): Lead {
  const parsed = leadSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MocoError({
      kind: "server",
      message: `MOCO sent a lead this server cannot read (${issue?.path.join(".") || "body"}: ${issue?.message})`,
    });
  }
  return parsed.data;
}

export async function listLeads(
  moco: MocoClient,
  filters: LeadFilters,
  options?: CallOptions,
): Promise<LeadPage> {
  const res = await moco.get(apiPath("deals"), { ...options, query: leadQuery(filters) });
  if (!Array.isArray(res.data)) {
    throw new MocoError({ kind: "server", message: "MOCO sent something other than a list of leads" });
  }
  return { leads: res.data.map(parseLead), page: res.page };
}

export async function getLead(moco: MocoClient, id: number, options?: CallOptions): Promise<Lead> {
  return parseLead((await moco.get(apiPath("deals", id), options)).data);
}

export async function createLead(moco: MocoClient, body: LeadWrite, options?: CallOptions): Promise<Lead> {
  return parseLead((await moco.post(apiPath("deals"), body, options)).data);
}

export async function updateLead(moco: MocoClient, id: number, body: LeadWrite, options?: CallOptions) {
  return parseLead((await moco.put(apiPath("deals", id), body, options)).data);
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
