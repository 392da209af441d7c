// Everything a leads client resolves ids and names against: categories, users, profile, session,
// companies, contact people, tags, custom property definitions, and the comments on a lead.

import { globalFilter } from "./filters.js";
import { empty, json, paginate, type Reply } from "./http-util.js";
import { byId, type Route, type RouteContext } from "./route-context.js";
import type { UserRecord } from "./types.js";

/** A list endpoint: global filters, then the endpoint's own, then one page. */
function listOf<T extends { id: number; updated_at: string }>(
  ctx: RouteContext,
  items: readonly T[],
  entity: string | undefined,
  keep: (item: T) => boolean = () => true,
): Reply {
  const defs = entity ? ctx.store.customPropertyDefinitions(entity) : [];
  const filtered = globalFilter(items, ctx.query, defs);
  if (!Array.isArray(filtered)) return filtered;
  return paginate(filtered.filter(keep), ctx.query, ctx.selfUrl, (item) => item);
}

function one<T extends { id: number }>(items: readonly T[]) {
  return (ctx: RouteContext): Reply => {
    const item = byId(items, ctx);
    return item ? json(200, item) : empty(404);
  };
}

const contains = (haystack: string, needle: string) => haystack.toLowerCase().includes(needle.toLowerCase());
const param = (ctx: RouteContext, name: string) => ctx.query.get(name)?.trim() || undefined;
const tagged = (ctx: RouteContext) => (item: { tags: string[] }) => {
  const wanted = param(ctx, "tags")
    ?.split(",")
    .map((t) => t.trim().toLowerCase());
  return !wanted || item.tags.some((t) => wanted.includes(t.toLowerCase()));
};

/** Recorded: an unpaged array and no pagination headers at all. */
function categories(ctx: RouteContext): Reply {
  const filtered = globalFilter(ctx.store.categories, ctx.query);
  return Array.isArray(filtered) ? json(200, filtered) : filtered;
}

/** A key without the Staff permission gets 403 with an empty body on /users. */
function users(ctx: RouteContext): Reply {
  if (!ctx.staff) return empty(403);
  const archived = ["true", "1"].includes(param(ctx, "include_archived") ?? "");
  const email = param(ctx, "email")?.toLowerCase();
  return listOf(ctx, ctx.store.users, "User", (u) => {
    if (!archived && !u.active) return false;
    return (!email || u.email.toLowerCase() === email) && tagged(ctx)(u);
  });
}

function user(ctx: RouteContext): Reply {
  return ctx.staff ? one(ctx.store.users)(ctx) : empty(403);
}

/** GET /profile follows the OpenAPI shape, which differs from a user's (first_name, external, …). */
function profile(ctx: RouteContext): Reply {
  const u: UserRecord = ctx.store.profile();
  return json(200, {
    id: u.id,
    email: u.email,
    full_name: `${u.firstname} ${u.lastname}`,
    first_name: u.firstname,
    last_name: u.lastname,
    active: u.active,
    external: u.extern,
    avatar_url: u.avatar_url,
    unit: { ...u.unit },
    created_at: u.created_at,
    updated_at: u.updated_at,
  });
}

function session(ctx: RouteContext): Reply {
  return json(200, { id: ctx.store.profileUserId, uuid: ctx.store.profileUuid });
}

/** term: case-insensitive substring of the name (MOCO also matches the identifier). Sorted by name. */
function companies(ctx: RouteContext): Reply {
  const term = param(ctx, "term");
  const type = param(ctx, "type");
  const identifier = param(ctx, "identifier");
  const sorted = [...ctx.store.companies].sort((a, b) => a.name.localeCompare(b.name, "de"));
  return listOf(ctx, sorted, "Company", (c) => {
    if (term && !contains(c.name, term) && !contains(c.identifier, term)) return false;
    if (type && c.type !== type) return false;
    return (!identifier || c.identifier === identifier) && tagged(ctx)(c);
  });
}

/** term: first name, last name, full name, work e-mail or company name. */
function people(ctx: RouteContext): Reply {
  const term = param(ctx, "term");
  return listOf(ctx, ctx.store.people, "Contact", (p) => {
    const fields = [
      p.firstname,
      p.lastname,
      `${p.firstname} ${p.lastname}`,
      p.work_email,
      p.company?.name ?? "",
    ];
    return (!term || fields.some((f) => contains(f, term))) && tagged(ctx)(p);
  });
}

function tags(ctx: RouteContext): Reply {
  const context = param(ctx, "context");
  return listOf(ctx, ctx.store.tags, undefined, (t) => !context || t.context === context);
}

function customProperties(ctx: RouteContext): Reply {
  const entity = param(ctx, "entity");
  return listOf(ctx, ctx.store.customProperties, undefined, (p) => !entity || p.entity === entity);
}

/** Newest first, as recorded. */
function comments(ctx: RouteContext): Reply {
  const type = param(ctx, "commentable_type");
  const id = param(ctx, "commentable_id");
  const userId = param(ctx, "user_id");
  const manual = param(ctx, "manual");
  const newestFirst = [...ctx.store.comments].sort((a, b) => b.id - a.id);
  return listOf(ctx, newestFirst, undefined, (c) => {
    if (type && c.commentable_type !== type) return false;
    if (id && c.commentable_id !== Number(id)) return false;
    if (userId && c.user.id !== Number(userId)) return false;
    return !manual || String(c.manual) === manual;
  });
}

function createComment(ctx: RouteContext): Reply {
  const result = ctx.store.createComment(ctx.body);
  return result.ok ? json(200, result.value) : json(result.status, result.body);
}

export const referenceRoutes: Route[] = [
  { method: "GET", pattern: /^\/deal_categories$/, handler: categories },
  { method: "GET", pattern: /^\/deal_categories\/(\d+)$/, handler: (ctx) => one(ctx.store.categories)(ctx) },
  { method: "GET", pattern: /^\/users$/, handler: users },
  { method: "GET", pattern: /^\/users\/(\d+)$/, handler: user },
  { method: "GET", pattern: /^\/profile$/, handler: profile },
  { method: "GET", pattern: /^\/session$/, handler: session },
  { method: "GET", pattern: /^\/companies$/, handler: companies },
  { method: "GET", pattern: /^\/companies\/(\d+)$/, handler: (ctx) => one(ctx.store.companies)(ctx) },
  { method: "GET", pattern: /^\/contacts\/people$/, handler: people },
  { method: "GET", pattern: /^\/contacts\/people\/(\d+)$/, handler: (ctx) => one(ctx.store.people)(ctx) },
  { method: "GET", pattern: /^\/tags$/, handler: tags },
  { method: "GET", pattern: /^\/account\/custom_properties$/, handler: customProperties },
  { method: "GET", pattern: /^\/comments$/, handler: comments },
  { method: "GET", pattern: /^\/comments\/(\d+)$/, handler: (ctx) => one(ctx.store.comments)(ctx) },
  { method: "POST", pattern: /^\/comments$/, handler: createComment },
];
