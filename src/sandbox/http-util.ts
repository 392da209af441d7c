// The small HTTP vocabulary shared by the route handlers: a Reply value (handlers return one instead
// of writing to the socket, so a fault can still truncate or drop a fully computed answer), MOCO-style
// pagination and request body reading.

import type { IncomingMessage } from "node:http";

export const JSON_TYPE = "application/json; charset=utf-8";
const MAX_PER_PAGE = 100;

export interface Reply {
  status: number;
  /** Already serialised; absent = empty body (MOCO's 403/404 have none). */
  body?: string;
  headers?: Record<string, string>;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body: JSON.stringify(value), headers: { "Content-Type": JSON_TYPE, ...headers } };
}

export function message(status: number, text: string): Reply {
  return json(status, { message: text });
}

export function empty(status: number): Reply {
  return { status };
}

/**
 * One page of `items` with X-Page, X-Per-Page, X-Total and, when there is more than one page, an RFC 8288
 * Link header (first/prev/next/last as the pagination gem behind Rails APIs writes it). `rel="next"` is
 * absent on the last page, which is how clients know they are done. per_page above 100 is clamped.
 */
export function paginate<T>(
  items: readonly T[],
  query: URLSearchParams,
  selfUrl: string,
  shape: (item: T) => unknown,
) {
  const perPage = Math.min(positiveInt(query.get("per_page")) ?? MAX_PER_PAGE, MAX_PER_PAGE);
  const page = positiveInt(query.get("page")) ?? 1;
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (n: number, rel: string) => {
    const params = new URLSearchParams(query);
    params.set("page", String(n));
    return `<${selfUrl}?${params}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(1, "first"), link(Math.min(page - 1, lastPage), "prev"));
  if (page < lastPage) links.push(link(page + 1, "next"), link(lastPage, "last"));
  const headers: Record<string, string> = {
    "X-Page": String(page),
    "X-Per-Page": String(perPage),
    "X-Total": String(items.length),
  };
  if (links.length > 0) headers.Link = links.join(", ");
  return json(200, slice.map(shape), headers);
}

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return n >= 1 && Number.isSafeInteger(n) ? n : undefined;
}

export interface RawBody {
  text: string;
  /** True when the body was longer than the limit; the rest was read and discarded. */
  tooLarge: boolean;
}

/**
 * Reads the whole request body. Past `limit` bytes it keeps reading (and discarding) so the answer
 * (413) reaches a client that is still sending, instead of a reset it could not interpret.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<RawBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size <= limit) chunks.push(buf);
  }
  return { text: Buffer.concat(chunks).toString("utf8"), tooLarge: size > limit };
}
