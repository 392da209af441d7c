// The sandbox's in-memory MOCO account: seeded data, the write operations with MOCO's semantics, and
// `dealJson`, the one function that shapes a stored lead into MOCO's JSON. Tests may read (and, for
// setting up odd states, change) the public collections directly.

import { todayUtc, toTimestamp } from "./dates.js";
import {
  type DealFields,
  type DealLookups,
  type DealWrite,
  isBlank,
  isObject,
  resolveDealWrite,
} from "./deal-input.js";
import { FIRST_DEAL_ID, seed } from "./seed.js";
import type {
  CategoryRecord,
  CommentRecord,
  CompanyRecord,
  CustomPropertyDefinition,
  DealRecord,
  PersonRecord,
  TagRecord,
  UserRecord,
  UserRef,
} from "./types.js";
import { WebHooks } from "./web-hooks.js";

export type WriteResult<T> = { ok: true; value: T } | { ok: false; status: number; body: unknown };

/** Where the sandbox lets comments be attached ("Contact" = a contact person). */
const COMMENTABLE = ["Deal", "Company", "Contact"] as const;

export class SandboxStore implements DealLookups {
  readonly today: string;
  readonly users: UserRecord[];
  readonly profileUserId: number;
  readonly profileUuid: string;
  readonly companies: CompanyRecord[];
  readonly people: PersonRecord[];
  readonly categories: CategoryRecord[];
  readonly customProperties: CustomPropertyDefinition[];
  readonly tags: TagRecord[];
  /** Ordered by id; new leads get ever-increasing ids, also after deletions. */
  readonly deals: DealRecord[];
  readonly comments: CommentRecord[];
  /** MOCO's webhooks: registered at /account/web_hooks, sent for the account's changes. */
  readonly webHooks: WebHooks;
  private lastSecond: number;
  private nextDealId: number;

  constructor(today: string, leadCount?: number, webhookSecret?: string) {
    this.webHooks = new WebHooks(webhookSecret);
    const data = seed(today, leadCount);
    this.today = today;
    this.users = data.users;
    this.profileUserId = data.profileUserId;
    this.profileUuid = data.profileUuid;
    this.companies = data.companies;
    this.people = data.people;
    this.categories = data.categories;
    this.customProperties = data.customProperties;
    this.tags = data.tags;
    this.deals = data.deals;
    this.comments = data.comments;
    // reduce, not Math.max(...list): a seeded account of 100,000+ leads would overflow the call stack.
    const latest = [...this.deals, ...this.comments, ...this.users].reduce(
      (max, r) => Math.max(max, Date.parse(r.updated_at)),
      0,
    );
    this.lastSecond = Math.floor(latest / 1000);
    this.nextDealId = this.deals.reduce((max, d) => Math.max(max, d.id), FIRST_DEAL_ID - 1) + 1;
  }

  /**
   * The timestamp of a write: real time, but strictly later than every earlier write, so that a client
   * syncing with updated_after=<latest updated_at it saw> never misses a write made in the same second.
   */
  nextTimestamp(): string {
    this.lastSecond = Math.max(Math.floor(Date.now() / 1000), this.lastSecond + 1);
    return toTimestamp(this.lastSecond * 1000);
  }

  profile(): UserRecord {
    const user = this.user(this.profileUserId);
    if (!user) throw new Error("the profile user is missing from the store");
    return user;
  }

  user(id: number): UserRecord | undefined {
    return this.users.find((u) => u.id === id);
  }
  deal(id: number): DealRecord | undefined {
    return this.deals.find((d) => d.id === id);
  }
  hasUser(id: number): boolean {
    return this.user(id) !== undefined;
  }
  hasCategory(id: number): boolean {
    return this.categories.some((c) => c.id === id);
  }
  hasCompany(id: number): boolean {
    return this.companies.some((c) => c.id === id);
  }
  hasPerson(id: number): boolean {
    return this.people.some((p) => p.id === id);
  }
  customPropertyDefinitions(entity: string): CustomPropertyDefinition[] {
    return this.customProperties.filter((p) => p.entity === entity);
  }
  canonicalTag(name: string): string {
    const lower = name.toLowerCase();
    return this.tags.find((t) => t.context === "Deal" && t.name.toLowerCase() === lower)?.name ?? name;
  }

  /** MOCO's lead JSON: exactly these keys in this order (compare a recorded POST /deals answer). */
  dealJson(d: DealRecord) {
    const user = this.user(d.user_id);
    const company = d.company_id === null ? undefined : this.companies.find((c) => c.id === d.company_id);
    const person = d.person_id === null ? undefined : this.people.find((p) => p.id === d.person_id);
    const category = this.categories.find((c) => c.id === d.deal_category_id);
    return {
      id: d.id,
      name: d.name,
      status: d.status,
      reminder_date: d.reminder_date,
      closed_on: d.closed_on,
      money: d.money,
      currency: d.currency,
      info: d.info,
      tags: [...d.tags],
      custom_properties: structuredClone(d.custom_properties),
      user: user ? userRef(user) : null,
      person: person ? { id: person.id, name: `${person.firstname} ${person.lastname}` } : null,
      customer: company ? { id: company.id, name: company.name } : null,
      company: company ? { id: company.id, type: company.type, name: company.name } : null,
      category: category ? { id: category.id, name: category.name, probability: category.probability } : null,
      service_period_from: d.service_period_from,
      service_period_to: d.service_period_to,
      inbox_email_address: `deal-${d.id}@inbox.example.mocoapp.com`,
      created_at: d.created_at,
      updated_at: d.updated_at,
    };
  }

  createDeal(input: unknown): WriteResult<DealRecord> {
    return this.told(
      "create",
      this.commit(resolveDealWrite(this, input), (fields, at) => {
        const deal: DealRecord = { id: this.nextDealId++, ...fields, created_at: at, updated_at: at };
        this.deals.push(deal);
        return deal;
      }),
    );
  }

  /** PUT and PATCH alike: a partial update. `tags`, when given, replaces the whole list. */
  updateDeal(deal: DealRecord, input: unknown): WriteResult<DealRecord> {
    return this.told(
      "update",
      this.commit(resolveDealWrite(this, input, deal), (fields, at) => {
        Object.assign(deal, fields, { updated_at: at });
        return deal;
      }),
    );
  }

  deleteDeal(deal: DealRecord): void {
    this.deals.splice(this.deals.indexOf(deal), 1);
    // Stamped no earlier than the last change of the account (whose clock may run ahead by a second per write).
    this.webHooks.emit("Deal", "delete", { id: deal.id }, this.profileUserId, this.lastSecond * 1000 + 999);
  }

  /** A lead written: MOCO's webhooks for it are sent. */
  private told(event: string, result: WriteResult<DealRecord>): WriteResult<DealRecord> {
    if (result.ok) {
      const at = Math.max(Date.now(), Date.parse(result.value.updated_at));
      this.webHooks.emit("Deal", event, this.dealJson(result.value), this.profileUserId, at);
    }
    return result;
  }

  /** POST /comments: commentable_id, commentable_type and text are mandatory; the author is the key's user. */
  createComment(input: unknown): WriteResult<CommentRecord> {
    const body = isObject(input) ? input : {};
    const errors: Record<string, string[]> = {};
    for (const field of ["commentable_id", "commentable_type", "text"]) {
      if (isBlank(body[field])) errors[field] = ["muss ausgefüllt werden"];
    }
    const type = String(body.commentable_type);
    const id = Number(body.commentable_id);
    if (Object.keys(errors).length === 0) {
      if (!COMMENTABLE.includes(type as (typeof COMMENTABLE)[number]))
        errors.commentable_type = ["ist nicht gültig"];
      else if (!this.commentableExists(type, id)) errors.commentable = ["muss existieren"];
      if (typeof body.text !== "string") errors.text = ["ist nicht gültig"];
    }
    if (Object.keys(errors).length > 0) return { ok: false, status: 422, body: errors };
    const at = this.nextTimestamp();
    const comment: CommentRecord = {
      id: Math.max(15_300_000, ...this.comments.map((c) => c.id)) + 1,
      commentable_id: id,
      commentable_type: type,
      text: String(body.text),
      manual: true,
      created_at: at,
      updated_at: at,
      user: userRef(this.profile()),
    };
    this.comments.push(comment);
    this.webHooks.emit(
      "Comment",
      "create",
      comment,
      this.profileUserId,
      Math.max(Date.now(), Date.parse(at)),
    );
    return { ok: true, value: comment };
  }

  private commentableExists(type: string, id: number): boolean {
    if (type === "Deal") return this.deal(id) !== undefined;
    if (type === "Company") return this.hasCompany(id);
    return this.hasPerson(id);
  }

  private commit(
    write: DealWrite,
    apply: (fields: DealFields, at: string) => DealRecord,
  ): WriteResult<DealRecord> {
    if (!write.ok) return { ok: false, status: write.status, body: write.body };
    const at = this.nextTimestamp();
    this.registerDealTags(write.fields.tags, at);
    return { ok: true, value: apply(write.fields, at) };
  }

  /** Like MOCO, writing a lead with an unknown tag creates that tag (it then shows in GET /tags). */
  private registerDealTags(names: string[], at: string): void {
    for (const name of names) {
      if (this.tags.some((t) => t.context === "Deal" && t.name === name)) continue;
      const id = Math.max(0, ...this.tags.map((t) => t.id)) + 1;
      this.tags.push({ id, name, color: null, context: "Deal", created_at: at, updated_at: at });
    }
  }
}

export type DealJson = ReturnType<SandboxStore["dealJson"]>;

function userRef(u: UserRecord): UserRef {
  return { id: u.id, firstname: u.firstname, lastname: u.lastname };
}

/** Builds the seeded store for a sandbox; `today` defaults to the current UTC date, `leads` to 264. */
export function createStore(
  options: { today?: string; leads?: number; webhookSecret?: string } = {},
): SandboxStore {
  return new SandboxStore(options.today ?? todayUtc(), options.leads, options.webhookSecret);
}
