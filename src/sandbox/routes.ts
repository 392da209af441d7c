// The route table of the sandbox and its dispatcher.

import { empty, type Reply } from "./http-util.js";
import type { Route, RouteContext } from "./route-context.js";
import { dealRoutes } from "./routes-deals.js";
import { referenceRoutes } from "./routes-reference.js";
import { webHookRoutes } from "./routes-webhooks.js";

const ROUTES: readonly Route[] = [...dealRoutes, ...referenceRoutes, ...webHookRoutes];

/** Runs the matching handler; an unknown path or method is a 404 with an empty body, as in MOCO. */
export function dispatch(method: string, path: string, ctx: Omit<RouteContext, "params">): Reply {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (match) return route.handler({ ...ctx, params: match.slice(1) });
  }
  return empty(404);
}
