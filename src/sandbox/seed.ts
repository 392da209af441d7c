// Deterministic seed: the same `today` always yields the same account. Dates are spread around `today`
// (reminders from 60 days before to 60 days after, closings in the past year) so that "overdue",
// "due today" and "closed last quarter" questions have answers. All timestamps lie before `today`.

import { addDays, DAY_MS, dateToMs, monthEnd, monthStart, toTimestamp } from "./dates.js";
import { createRandom, type Random } from "./prng.js";
import {
  CATEGORIES,
  COMMENT_TEXTS,
  COMPANIES,
  COMPANY_TAGS,
  CUSTOM_PROPERTIES,
  DEAL_TAGS,
  INFO_TEXTS,
  PROJECTS,
  UNITS,
  USER_EMAIL_DOMAIN,
  USERS,
} from "./seed-data.js";
import type {
  CategoryRecord,
  CommentRecord,
  CompanyRecord,
  CustomPropertyDefinition,
  CustomValue,
  DealRecord,
  DealStatus,
  PersonRecord,
  TagRecord,
  UserRecord,
  UserRef,
} from "./types.js";

export interface SeedData {
  users: UserRecord[];
  profileUserId: number;
  profileUuid: string;
  companies: CompanyRecord[];
  people: PersonRecord[];
  categories: CategoryRecord[];
  customProperties: CustomPropertyDefinition[];
  tags: TagRecord[];
  deals: DealRecord[];
  comments: CommentRecord[];
}

/** Exact status mix of the 264 seeded leads (about 45/10/20/15/10 %). */
export const SEED_STATUS_COUNTS: Readonly<Record<DealStatus, number>> = {
  pending: 119,
  potential: 26,
  won: 53,
  lost: 40,
  dropped: 26,
};
export const FIRST_DEAL_ID = 388_101;

/**
 * The status mix for `count` leads: SEED_STATUS_COUNTS scaled by largest remainder, so 264 gives exactly
 * the default account and any other count keeps the same proportions.
 */
export function statusCounts(count: number): Record<DealStatus, number> {
  const base = Object.entries(SEED_STATUS_COUNTS) as [DealStatus, number][];
  const sum = base.reduce((a, [, n]) => a + n, 0);
  const exact = base.map(([status, n]) => [status, (n * count) / sum] as const);
  const counts = Object.fromEntries(exact.map(([s, x]) => [s, Math.floor(x)])) as Record<DealStatus, number>;
  let left = count - Object.values(counts).reduce((a, n) => a + n, 0);
  const byRemainder = [...exact].sort((a, b) => b[1] - Math.floor(b[1]) - (a[1] - Math.floor(a[1])));
  for (const [status] of byRemainder) {
    if (left-- <= 0) break;
    counts[status]++;
  }
  return counts;
}

export const DEFAULT_LEAD_COUNT = 264;

/** `leadCount` leads (default 264, the documented account); the same arguments always give the same data. */
export function seed(today: string, leadCount = DEFAULT_LEAD_COUNT): SeedData {
  const rnd = createRandom(0x4d4f434f); // "MOCO"
  // A timestamp `daysAgo` days before today, at a random office-hours time of that day.
  const stampMs = (daysAgo: number): number => dateToMs(today) - daysAgo * DAY_MS + officeSeconds(rnd);
  const at: Clock = { today, rnd, stampMs, stamp: (daysAgo) => toTimestamp(stampMs(daysAgo)) };

  // The order of the steps is the order of the random draws: changing it changes the account.
  const users = seedUsers(at);
  const [profile] = users;
  if (!profile) throw new Error("seed needs at least one user");
  const refs = users.map(userRef);
  const owners: Owners = {
    all: refs,
    active: refs.filter((_, i) => users[i]?.active),
    archived: refs.find((_, i) => !users[i]?.active) ?? profile,
    profile,
  };
  const { companies, people } = seedCompanies(at, owners);
  const { categories, customProperties, tags } = seedSetup(at.stamp(ACCOUNT_AGE));
  const deals = seedDeals(at, leadCount, { companies, people, categories }, owners);
  const comments = seedComments(at, deals, owners.active);
  return {
    users,
    profileUserId: profile.id,
    profileUuid: randomUuid(rnd),
    companies,
    people,
    categories,
    customProperties,
    tags,
    deals,
    comments,
  };
}

/** Today, the one random sequence of the seed, and timestamps `daysAgo` days before today. */
interface Clock {
  today: string;
  rnd: Random;
  stampMs(daysAgo: number): number;
  stamp(daysAgo: number): string;
}

/** Who may own what: every user, the active ones, the archived one, and the API key's own user. */
interface Owners {
  all: UserRef[];
  active: UserRef[];
  archived: UserRef;
  profile: UserRecord;
}

/** Days between the account's creation and today. */
const ACCOUNT_AGE = 400;

function seedUsers({ stamp }: Clock): UserRecord[] {
  return USERS.map((u, i): UserRecord => {
    const created = stamp(ACCOUNT_AGE - i);
    return {
      id: 933_590_696 + i * 11,
      firstname: u.firstname,
      lastname: u.lastname,
      active: u.active ?? true,
      extern: u.extern ?? false,
      email: `${ascii(u.firstname)}.${ascii(u.lastname)}@${USER_EMAIL_DOMAIN}`,
      mobile_phone: "",
      work_phone: `+41 44 555 10 ${String(10 + i)}`,
      home_address: "",
      info: "",
      birthday: null,
      avatar_url: null,
      tags: [],
      custom_properties: {},
      unit: { ...UNITS[u.unit] },
      created_at: created,
      updated_at: u.active === false ? stamp(90) : created,
    };
  });
}

/** The companies with their contacts, then a freelancer without a company. */
function seedCompanies({ rnd, stamp }: Clock, owners: Owners) {
  const companies: CompanyRecord[] = [];
  const people: PersonRecord[] = [];
  COMPANIES.forEach((c, i) => {
    const created = stamp(ACCOUNT_AGE - 5 - i);
    const company: CompanyRecord = {
      id: 761_251_990 + i * 7,
      type: c.type,
      name: c.name,
      website: `https://www.${c.domain}`,
      email: `info@${c.domain}`,
      phone: "",
      fax: "",
      address: `${c.name}\n${c.address}`,
      country_code: c.country,
      vat_identifier: null,
      tags: i % 5 === 0 ? [COMPANY_TAGS[0]?.[0] ?? "Key Account"] : [],
      user: rnd.pick(owners.active),
      info: "",
      custom_properties: {},
      created_at: created,
      updated_at: created,
      identifier: `${c.type === "supplier" ? "L" : "K"}${String(i + 1).padStart(4, "0")}`,
      intern: false,
      billing_tax: c.country === "CH" ? 8.1 : c.country === "US" ? 0 : 19,
      currency: c.currency,
      default_invoice_due_days: 30,
    };
    companies.push(company);
    for (const [firstname, lastname, gender, job] of c.people) {
      people.push(
        person(
          people.length,
          company,
          firstname,
          lastname,
          gender,
          job,
          c.domain,
          rnd.pick(owners.active),
          created,
        ),
      );
    }
  });
  const freelancer = person(
    people.length,
    null,
    "Peter",
    "Frei",
    "M",
    "Freelancer",
    "frei.example.ch",
    owners.all[0] ?? owners.profile,
    stamp(200),
  );
  people.push(freelancer);
  return { companies, people };
}

/** The account's set-up, all made when the account was: stages, custom fields, tags. */
function seedSetup(setupStamp: string) {
  const categories = CATEGORIES.map(
    ([name, probability], i): CategoryRecord => ({
      id: 90_586 + i,
      name,
      probability,
      created_at: setupStamp,
      updated_at: setupStamp,
    }),
  );
  const customProperties = CUSTOM_PROPERTIES.map(
    (p, i): CustomPropertyDefinition => ({
      id: 201 + i,
      name: p.name,
      placeholder: p.placeholder ?? "",
      placeholder_alt: null,
      entity: p.entity,
      kind: p.kind,
      print_on_invoice: false,
      print_on_offer: false,
      print_on_timesheet: false,
      notification_enabled: false,
      api_only: false,
      defaults: [...(p.defaults ?? [])],
      created_at: setupStamp,
      updated_at: setupStamp,
    }),
  );
  const tags = [
    ...DEAL_TAGS.map(([name, color]) => ({ name, color, context: "Deal" })),
    ...COMPANY_TAGS.map(([name, color]) => ({ name, color, context: "Company" })),
  ].map((t, i): TagRecord => ({ id: 412 + i, ...t, created_at: setupStamp, updated_at: setupStamp }));
  return { categories, customProperties, tags };
}

interface Account {
  companies: CompanyRecord[];
  people: PersonRecord[];
  categories: CategoryRecord[];
}

/** `leadCount` leads in the status mix of statusCounts, shuffled. */
function seedDeals(at: Clock, leadCount: number, account: Account, owners: Owners): DealRecord[] {
  const statuses = at.rnd.shuffle(
    Object.entries(statusCounts(leadCount)).flatMap(([status, n]) =>
      Array<DealStatus>(n).fill(status as DealStatus),
    ),
  );
  const leadCompanies = account.companies.filter((c) => c.type !== "supplier");
  return statuses.map((status, i) =>
    seedDeal(at, status, i, { ...account, companies: leadCompanies }, owners),
  );
}

/** The `i`-th lead; `account.companies` holds only the companies that may have leads. */
function seedDeal(at: Clock, status: DealStatus, i: number, account: Account, owners: Owners): DealRecord {
  const { rnd, today, stampMs } = at;
  const company = rnd.chance(0.93) ? rnd.pick(account.companies) : null;
  const contacts = account.people.filter((p) => p.company?.id === company?.id);
  const contact = company && contacts.length > 0 && rnd.chance(0.55) ? rnd.pick(contacts) : null;
  const closed = status === "won" || status === "lost" || status === "dropped";
  // The archived user only owns leads that were closed back when she still worked here.
  const owner = closed && rnd.chance(0.08) ? owners.archived : rnd.pick(owners.active);
  const createdDaysAgo = rnd.int(20, 365);
  const closedDaysAgo = closed ? rnd.int(1, createdDaysAgo - 1) : 0;
  const createdMs = stampMs(createdDaysAgo);
  const updatedMs = Math.max(createdMs, stampMs(rnd.int(1, closed ? closedDaysAgo : createdDaysAgo)));
  const deal: DealRecord = {
    id: FIRST_DEAL_ID + i,
    name: leadName(rnd, company?.name),
    status,
    // Every 20th lead is due exactly today; the rest spread ±60 days, so about half the open ones are overdue.
    reminder_date: addDays(today, i % 20 === 3 ? 0 : rnd.int(-60, 60)),
    closed_on: closed ? addDays(today, -closedDaysAgo) : "",
    money: i === 7 ? 0 : money(rnd),
    currency: currency(rnd, company?.currency),
    info: rnd.chance(0.35) ? rnd.pick(INFO_TEXTS) : "",
    tags: rnd.chance(0.6) ? rnd.sample(DEAL_TAGS, rnd.int(1, 3)).map(([name]) => name) : [],
    custom_properties: rnd.chance(0.55) ? customValues(rnd, today, FIRST_DEAL_ID + i) : {},
    user_id: owner.id,
    person_id: contact?.id ?? null,
    company_id: company?.id ?? null,
    deal_category_id: rnd.pick(account.categories).id,
    service_period_from: null,
    service_period_to: null,
    created_at: toTimestamp(createdMs),
    updated_at: toTimestamp(updatedMs),
  };
  if (rnd.chance(0.4)) {
    const from = monthStart(today, rnd.int(-8, 6));
    deal.service_period_from = from;
    deal.service_period_to = monthEnd(monthStart(from, rnd.int(0, 11)));
  }
  return deal;
}

/** One to three notes on every 17th lead (from the 6th on), written in the last 19 days. */
function seedComments({ rnd, stamp }: Clock, deals: DealRecord[], activeRefs: UserRef[]): CommentRecord[] {
  const comments: CommentRecord[] = [];
  for (const deal of deals.filter((_, i) => i % 17 === 5)) {
    const count = rnd.int(1, 3);
    for (let n = 0; n < count; n++) {
      const at = stamp(rnd.int(1, 19));
      comments.push({
        id: 15_300_001 + comments.length,
        commentable_id: deal.id,
        commentable_type: "Deal",
        text: rnd.pick(COMMENT_TEXTS),
        manual: true,
        created_at: at,
        updated_at: at,
        user: rnd.pick(activeRefs),
      });
    }
  }
  return comments;
}

/** A version-4-shaped UUID from the seed's random sequence. */
function randomUuid(rnd: Random): string {
  const uuid = Array.from({ length: 16 }, () => rnd.int(0, 255).toString(16).padStart(2, "0")).join("");
  return `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-4${uuid.slice(13, 16)}-a${uuid.slice(17, 20)}-${uuid.slice(20)}`;
}

function officeSeconds(rnd: Random): number {
  return rnd.int(7 * 3600, 19 * 3600) * 1000;
}

function userRef(u: UserRecord): UserRef {
  return { id: u.id, firstname: u.firstname, lastname: u.lastname };
}

/** Lower-case ASCII for e-mail addresses: "Jürgen" → "juergen", "Élodie" → "elodie". */
function ascii(name: string): string {
  return name
    .toLowerCase()
    .replace(/ä/g, "ae")
    .replace(/ö/g, "oe")
    .replace(/ü/g, "ue")
    .normalize("NFD")
    .replace(/[^a-z]/g, "");
}

function person(
  index: number,
  company: CompanyRecord | null,
  firstname: string,
  lastname: string,
  gender: "F" | "M",
  job: string,
  domain: string,
  owner: UserRef,
  created: string,
): PersonRecord {
  return {
    id: 677_501 + index,
    gender,
    firstname,
    lastname,
    title: "",
    job_position: job,
    mobile_phone: "",
    work_fax: "",
    work_phone: `+41 31 555 20 ${String(10 + index)}`,
    work_email: `${ascii(firstname)}.${ascii(lastname)}@${domain}`,
    work_address: "",
    home_email: "",
    home_address: "",
    birthday: null,
    salutation: "",
    info: "",
    avatar_url: null,
    tags: [],
    custom_properties: {},
    company: company ? { id: company.id, type: company.type, name: company.name } : null,
    user: owner,
    created_at: created,
    updated_at: created,
  };
}

function leadName(rnd: Random, companyName: string | undefined): string {
  const project = rnd.pick(PROJECTS);
  const phase = rnd.chance(0.15) ? ` Phase ${rnd.int(2, 3)}` : "";
  return companyName ? `${project}${phase} ${companyName}` : `${project}${phase}`;
}

/** 1'500 to 180'000, mostly round numbers, some with cents. */
function money(rnd: Random): number {
  const band = rnd.next();
  const base =
    band < 0.45 ? rnd.int(15, 100) * 100 : band < 0.85 ? rnd.int(20, 120) * 500 : rnd.int(61, 180) * 1000;
  return rnd.chance(0.12) ? base + rnd.int(1, 99) / 100 : base;
}

function currency(rnd: Random, companyCurrency: string | undefined): string {
  if (companyCurrency && rnd.chance(0.9)) return companyCurrency;
  return rnd.chance(0.6) ? "CHF" : "EUR";
}

function customValues(rnd: Random, today: string, dealId: number): Record<string, CustomValue> {
  const values: Record<string, CustomValue> = {};
  const defs = CUSTOM_PROPERTIES.filter((p) => p.entity === "Deal");
  for (const def of defs) {
    const options = def.defaults ?? [];
    if (def.kind === "Select" && rnd.chance(0.8)) values[def.name] = rnd.pick(options);
    if (def.kind === "String" && rnd.chance(0.3))
      values[def.name] = `PRJ-${today.slice(0, 4)}-${rnd.int(100, 999)}`;
    if (def.kind === "Boolean" && rnd.chance(0.4)) values[def.name] = rnd.chance(0.5) ? "1" : "0";
    if (def.kind === "MultiSelect" && rnd.chance(0.4)) values[def.name] = rnd.sample(options, rnd.int(1, 3));
    if (def.kind === "Date" && rnd.chance(0.25)) values[def.name] = addDays(today, rnd.int(-30, 60));
    if (def.kind === "Link" && rnd.chance(0.1))
      values[def.name] = `https://docs.example.com/angebote/${dealId}`;
  }
  return values;
}
