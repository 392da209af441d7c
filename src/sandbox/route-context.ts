// What a route handler receives and how a route is declared. Handlers are plain functions of a
// RouteContext that return a Reply; they never touch the socket (see server.ts for why).

import type { Reply } from "./http-util.js";
import type { SandboxStore } from "./store.js";

export interface RouteContext {
  store: SandboxStore;
  /** Captured path parameters (ids), in order. */
  params: string[];
  query: URLSearchParams;
  /** Parsed JSON body, undefined without one. */
  body: unknown;
  /** Absolute URL of this endpoint without query, for Link headers. */
  selfUrl: string;
  /** false = the key's user lacks the Staff permission. */
  staff: boolean;
}

export interface Route {
  method: string;
  /** Anchored pattern over the path without the /api/v1 prefix; capture groups become `params`. */
  pattern: RegExp;
  handler: (ctx: RouteContext) => Reply;
}

/** The record with the id in the first path parameter (numeric by the route's pattern), if any. */
export function byId<T extends { id: number }>(items: readonly T[], ctx: RouteContext): T | undefined {
  const id = Number(ctx.params[0]);
  return items.find((item) => item.id === id);
}
