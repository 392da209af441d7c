// Records held by the sandbox store. Reference data (users, companies, people, …) is kept in the exact
// JSON shape MOCO answers with, because the sandbox never changes it. Leads are kept as flat records with
// foreign keys, because writes change them; `SandboxStore.dealJson` is the one place that shapes them.

export const DEAL_STATUSES = ["potential", "pending", "won", "lost", "dropped"] as const;
export type DealStatus = (typeof DEAL_STATUSES)[number];

/** A custom property value as MOCO stores it: strings (booleans as "0"/"1"), arrays for MultiSelect. */
export type CustomValue = string | string[];

export interface DealRecord {
  id: number;
  name: string;
  status: DealStatus;
  reminder_date: string;
  /** "" when unset, as real MOCO responses send it. */
  closed_on: string;
  money: number;
  currency: string;
  info: string;
  /** Sorted, without duplicates. */
  tags: string[];
  custom_properties: Record<string, CustomValue>;
  user_id: number;
  person_id: number | null;
  company_id: number | null;
  deal_category_id: number;
  service_period_from: string | null;
  service_period_to: string | null;
  created_at: string;
  updated_at: string;
}

export interface UserRef {
  id: number;
  firstname: string;
  lastname: string;
}

export interface UserRecord extends UserRef {
  active: boolean;
  extern: boolean;
  email: string;
  mobile_phone: string;
  work_phone: string;
  home_address: string;
  info: string;
  birthday: string | null;
  avatar_url: string | null;
  tags: string[];
  custom_properties: Record<string, CustomValue>;
  unit: { id: number; name: string };
  created_at: string;
  updated_at: string;
}

export type CompanyType = "customer" | "supplier" | "organization";

export interface CompanyRecord {
  id: number;
  type: CompanyType;
  name: string;
  website: string;
  email: string | null;
  phone: string;
  fax: string;
  address: string;
  country_code: string;
  vat_identifier: string | null;
  tags: string[];
  user: UserRef | null;
  info: string;
  custom_properties: Record<string, CustomValue>;
  created_at: string;
  updated_at: string;
  identifier: string;
  intern: boolean;
  billing_tax: number;
  currency: string;
  default_invoice_due_days: number;
}

export interface PersonRecord {
  id: number;
  gender: "F" | "M" | "U";
  firstname: string;
  lastname: string;
  title: string;
  job_position: string;
  mobile_phone: string;
  work_fax: string;
  work_phone: string;
  work_email: string;
  work_address: string;
  home_email: string;
  home_address: string;
  birthday: string | null;
  salutation: string;
  info: string;
  avatar_url: string | null;
  tags: string[];
  custom_properties: Record<string, CustomValue>;
  company: { id: number; type: CompanyType; name: string } | null;
  user: UserRef | null;
  created_at: string;
  updated_at: string;
}

export interface CategoryRecord {
  id: number;
  name: string;
  probability: number;
  created_at: string;
  updated_at: string;
}

export type CustomPropertyKind =
  | "String"
  | "Textarea"
  | "Link"
  | "Boolean"
  | "Select"
  | "MultiSelect"
  | "Date";

export interface CustomPropertyDefinition {
  id: number;
  name: string;
  placeholder: string;
  placeholder_alt: string | null;
  entity: string;
  kind: CustomPropertyKind;
  print_on_invoice: boolean;
  print_on_offer: boolean;
  print_on_timesheet: boolean;
  notification_enabled: boolean;
  api_only: boolean;
  defaults: string[];
  created_at: string;
  updated_at: string;
}

export interface TagRecord {
  id: number;
  name: string;
  color: string | null;
  context: string;
  created_at: string;
  updated_at: string;
}

export interface CommentRecord {
  id: number;
  commentable_id: number;
  commentable_type: string;
  text: string;
  manual: boolean;
  created_at: string;
  updated_at: string;
  user: UserRef;
}
