// /account/web_hooks: list, read, create, change the URL, disable, enable, delete (MOCO's API).

import { empty, json, type Reply } from "./http-util.js";
import { byId, type Route, type RouteContext } from "./route-context.js";

const hooks = (ctx: RouteContext) => ctx.store.webHooks;
const input = (ctx: RouteContext) =>
  (ctx.body !== null && typeof ctx.body === "object" ? ctx.body : {}) as Record<string, unknown>;

function list(ctx: RouteContext): Reply {
  return json(200, hooks(ctx).hooks);
}

function show(ctx: RouteContext): Reply {
  const hook = byId(hooks(ctx).hooks, ctx);
  return hook ? json(200, hook) : empty(404);
}

function create(ctx: RouteContext): Reply {
  const body = input(ctx);
  const errors = hooks(ctx).invalid(body);
  if (errors) return json(422, errors);
  return json(200, hooks(ctx).add(body, ctx.store.nextTimestamp()));
}

/** Only the URL can change. */
function update(ctx: RouteContext): Reply {
  const hook = byId(hooks(ctx).hooks, ctx);
  if (!hook) return empty(404);
  const body = input(ctx);
  const errors = hooks(ctx).invalid(body, true);
  if (errors) return json(422, errors);
  Object.assign(hook, { hook: String(body.hook), updated_at: ctx.store.nextTimestamp() });
  return json(200, hook);
}

const toggle = (disabled: boolean) => (ctx: RouteContext) => {
  const hook = byId(hooks(ctx).hooks, ctx);
  if (!hook) return empty(404);
  const at = ctx.store.nextTimestamp();
  Object.assign(hook, { disabled, disabled_at: disabled ? at : null, updated_at: at });
  return json(200, hook);
};

function remove(ctx: RouteContext): Reply {
  const hook = byId(hooks(ctx).hooks, ctx);
  if (!hook) return empty(404);
  hooks(ctx).remove(hook);
  return empty(204);
}

const ONE = /^\/account\/web_hooks\/(\d+)$/;

export const webHookRoutes: Route[] = [
  { method: "GET", pattern: /^\/account\/web_hooks$/, handler: list },
  { method: "POST", pattern: /^\/account\/web_hooks$/, handler: create },
  { method: "GET", pattern: ONE, handler: show },
  { method: "PUT", pattern: ONE, handler: update },
  { method: "PUT", pattern: /^\/account\/web_hooks\/(\d+)\/disable$/, handler: toggle(true) },
  { method: "PUT", pattern: /^\/account\/web_hooks\/(\d+)\/enable$/, handler: toggle(false) },
  { method: "DELETE", pattern: ONE, handler: remove },
];
