// What the bundle links in place of `undici`: the same classes from undici's own lib/ files, minus the
// parts this server never loads (fetch, WebSocket, EventSource, caches, mocks, proxies, SQLite store).
// undici's index.js requires all of those eagerly, which cost ~40% of our cold start. Only
// scripts/build.mjs uses this file; types and tests use the real package. The names exported here are
// the whole allowed surface: importing any other name from "undici" in src/ fails the build.
//
// request() is undici's makeDispatcher(api.request) from its index.js (MIT, © Matteo Collina and
// Undici contributors), kept to the same checks and defaults.

import api from "undici/lib/api/index.js";
import errors from "undici/lib/core/errors.js";
import util from "undici/lib/core/util.js";
import Agent from "undici/lib/dispatcher/agent.js";
import Dispatcher from "undici/lib/dispatcher/dispatcher.js";
import globalDispatcher from "undici/lib/global.js";

const { getGlobalDispatcher, setGlobalDispatcher } = globalDispatcher;
const { InvalidArgumentError } = errors;

Object.assign(Dispatcher.prototype, api);

function makeDispatcher(fn) {
  return (url, opts, handler) => {
    if (typeof opts === "function") {
      handler = opts;
      opts = null;
    }
    if (!url || (typeof url !== "string" && typeof url !== "object" && !(url instanceof URL))) {
      throw new InvalidArgumentError("invalid url");
    }
    if (opts != null && typeof opts !== "object") {
      throw new InvalidArgumentError("invalid opts");
    }
    if (opts?.path != null) {
      if (typeof opts.path !== "string") {
        throw new InvalidArgumentError("invalid opts.path");
      }
      const path = opts.path.startsWith("/") ? opts.path : `/${opts.path}`;
      url = new URL(util.parseOrigin(url).origin + path);
    } else {
      if (!opts) {
        opts = typeof url === "object" ? url : {};
      }
      url = util.parseURL(url);
    }
    const { agent, dispatcher = getGlobalDispatcher() } = opts;
    if (agent) {
      throw new InvalidArgumentError("unsupported opts.agent. Did you mean opts.client?");
    }
    return fn.call(
      dispatcher,
      {
        ...opts,
        origin: url.origin,
        path: url.search ? `${url.pathname}${url.search}` : url.pathname,
        method: opts.method || (opts.body ? "PUT" : "GET"),
      },
      handler,
    );
  };
}

export const request = makeDispatcher(api.request);
export { Agent, Dispatcher, errors, getGlobalDispatcher, setGlobalDispatcher };
