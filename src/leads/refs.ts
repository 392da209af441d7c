import { fullName, type Lead } from "../moco/schemas.js";

/**
 * The records a lead refers to, in one table: the name a write may give instead of the id, the id
 * field MOCO takes, the label people read, and how to read the reference off a lead.
 */
export interface LeadRef {
  id: number;
  name: string;
}

export const REFS = {
  deal_category: {
    idField: "deal_category_id",
    label: "stage",
    of: (l: Lead): LeadRef | null => l.category && { id: l.category.id, name: l.category.name },
  },
  user: {
    idField: "user_id",
    label: "user",
    of: (l: Lead): LeadRef | null => l.user && { id: l.user.id, name: fullName(l.user) },
  },
  company: {
    idField: "company_id",
    label: "company",
    of: (l: Lead): LeadRef | null => l.company && { id: l.company.id, name: l.company.name },
  },
  person: {
    idField: "person_id",
    label: "person",
    of: (l: Lead): LeadRef | null => l.person && { id: l.person.id, name: l.person.name },
  },
} as const;

export type RefName = keyof typeof REFS;
export type RefIdField = (typeof REFS)[RefName]["idField"];

const BY_ID_FIELD = new Map(Object.values(REFS).map((r) => [r.idField as string, r]));

/** The reference an id field stands for, or undefined for a plain field. */
export const refByIdField = (field: string) => BY_ID_FIELD.get(field);

/** The lead's owner by full name, or null. */
export const userName = (lead: Lead) => REFS.user.of(lead)?.name ?? null;
