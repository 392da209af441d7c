import type { CallOptions, MocoClient, PageInfo, Query } from "./client.js";
import { MocoError } from "./errors.js";

/**
 * The one page iterator for MOCO lists (leads, reference lists, comments) and the one rule for what
 * the next page is. Reads page after page until the last one or the page cap, and says which.
 */
export interface PageRead {
  /** The page's items, as MOCO sent them (not yet parsed). */
  items: unknown[];
  page: number;
  info: PageInfo;
}

export interface PagesOptions extends CallOptions {
  /** Items per request; 100 is MOCO's maximum. */
  perPage?: number;
  /** Upper bound on requests for this list. */
  maxPages: number;
}

export interface PagesResult {
  /** Requests made. */
  pages: number;
  /** True when the last page was read, false when the page cap stopped the read first. */
  complete: boolean;
}

export const MAX_PER_PAGE = 100;

/**
 * The page after `page`, or null after the last. `count` items came back for `perPage` asked; MOCO
 * may serve fewer per page than asked (a cap), and X-Per-Page then says how many, which is what its
 * offsets follow. A next link names the next page (one that does not move forward is ignored, so a
 * page is never read twice). Without one, X-Total says whether more follow (MOCO may send it without
 * Link, X-Page and X-Per-Page): after a full page, while the leads up to its end are fewer than the
 * total, after a short page too (MOCO may cap per_page without X-Per-Page) and after an empty page
 * X-Total says should have held leads, so that page is never taken for the last one. Without either
 * header, only a short page proves the last one.
 */
export function nextPage(page: number, count: number, info: PageInfo, perPage: number): number | null {
  const served = info.perPage !== null && info.perPage > 0 ? info.perPage : perPage;
  if (count > 0 && info.nextPage !== null && info.nextPage > page) return info.nextPage;
  if (info.total !== null) {
    // Short of X-Total: a MOCO that serves fewer per page than asked without saying so (no X-Per-Page)
    // looks exactly like this, and its next page follows on. A list that shrank meanwhile gives an
    // empty or short next page, and the scan's count check says so.
    return (page - 1) * served + count < info.total ? page + 1 : null;
  }
  if (count === 0 || info.nextPage !== null) return null;
  return count >= served ? page + 1 : null;
}

/** Calls `onPage` for every page of `path` in turn. A body that is not a list is a server error. */
export async function readPages(
  moco: MocoClient,
  path: string,
  query: Query,
  options: PagesOptions,
  onPage: (read: PageRead) => void | Promise<void>,
): Promise<PagesResult> {
  const { perPage = MAX_PER_PAGE, maxPages, ...call } = options;
  let page: number | null = 1;
  let pages = 0;
  while (page !== null) {
    if (pages >= maxPages) return { pages, complete: false };
    const res = await moco.get(path, { ...call, query: { ...query, page, per_page: perPage } });
    pages++;
    if (!Array.isArray(res.data)) throw notAList(path);
    await onPage({ items: res.data, page, info: res.page });
    page = nextPage(page, res.data.length, res.page, perPage);
  }
  return { pages, complete: true };
}

const notAList = (path: string) =>
  new MocoError({ kind: "server", message: `MOCO sent something other than a list for ${path}` });
