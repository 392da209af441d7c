// /deals: list with MOCO's filters, read, create (200, not 201), update (PUT and PATCH), delete.

import { filterDeals } from "./filters.js";
import { empty, json, paginate, type Reply } from "./http-util.js";
import { byId, type Route, type RouteContext } from "./route-context.js";
import type { WriteResult } from "./store.js";
import type { DealRecord } from "./types.js";

function list(ctx: RouteContext): Reply {
  const { store } = ctx;
  const deals = filterDeals(store.deals, ctx.query, store.customPropertyDefinitions("Deal"));
  if (!Array.isArray(deals)) return deals;
  return paginate(deals, ctx.query, ctx.selfUrl, (d) => store.dealJson(d));
}

function show(ctx: RouteContext): Reply {
  const deal = byId(ctx.store.deals, ctx);
  return deal ? json(200, ctx.store.dealJson(deal)) : empty(404);
}

function answer(ctx: RouteContext, result: WriteResult<DealRecord>): Reply {
  return result.ok ? json(200, ctx.store.dealJson(result.value)) : json(result.status, result.body);
}

function create(ctx: RouteContext): Reply {
  return answer(ctx, ctx.store.createDeal(ctx.body ?? {}));
}

function update(ctx: RouteContext): Reply {
  const deal = byId(ctx.store.deals, ctx);
  return deal ? answer(ctx, ctx.store.updateDeal(deal, ctx.body ?? {})) : empty(404);
}

/** MOCO's OpenAPI: 200 with the deleted lead. */
function remove(ctx: RouteContext): Reply {
  const deal = byId(ctx.store.deals, ctx);
  if (!deal) return empty(404);
  const reply = json(200, ctx.store.dealJson(deal));
  ctx.store.deleteDeal(deal);
  return reply;
}

const ONE = /^\/deals\/(\d+)$/;

export const dealRoutes: Route[] = [
  { method: "GET", pattern: /^\/deals$/, handler: list },
  { method: "POST", pattern: /^\/deals$/, handler: create },
  { method: "GET", pattern: ONE, handler: show },
  { method: "PUT", pattern: ONE, handler: update },
  { method: "PATCH", pattern: ONE, handler: update },
  { method: "DELETE", pattern: ONE, handler: remove },
];
