// Talks to a sandbox over real TCP with undici, the way the MOCO client does.

import { request } from "undici";
import type { Sandbox } from "../../src/sandbox/index.js";

export const TODAY = "2026-03-15";

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed body; undefined when the body is empty. */
  json: unknown;
}

export interface CallOptions {
  body?: unknown;
  /** Raw body text (sent as is), instead of JSON-encoding `body`. */
  raw?: string;
  headers?: Record<string, string>;
  key?: string | null;
  signal?: AbortSignal;
}

/** One request to `${sandbox.url}${path}`, authorised with the sandbox key unless `key` says otherwise. */
export async function call(
  sb: Sandbox,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? sb.apiKey : options.key;
  if (key !== null) headers.authorization ??= `Token token=${key}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await request(`${sb.url}${path}`, {
    method: method as "GET",
    headers,
    body,
    signal: options.signal,
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: text === "" ? undefined : JSON.parse(text),
  };
}

/** The JSON body as a list of records (for list endpoints). */
export function list(answer: Answer): Record<string, unknown>[] {
  if (!Array.isArray(answer.json)) throw new Error(`expected an array, got: ${answer.text.slice(0, 200)}`);
  return answer.json as Record<string, unknown>[];
}

export function record(answer: Answer): Record<string, unknown> {
  if (typeof answer.json !== "object" || answer.json === null)
    throw new Error(`expected an object: ${answer.text}`);
  return answer.json as Record<string, unknown>;
}

/** Fetches every page of a list endpoint by following `rel="next"` links. */
export async function allPages(sb: Sandbox, path: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let next: string | undefined = path;
  while (next) {
    const answer = await call(sb, "GET", next);
    items.push(...list(answer));
    const link = String(answer.headers.link ?? "");
    const url = /<([^>]+)>; rel="next"/.exec(link)?.[1];
    next = url ? url.slice(sb.url.length) : undefined;
  }
  return items;
}

/** A body that POST /deals accepts, with overrides. */
export function newLead(sb: Sandbox, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const category = sb.store.categories[0];
  return {
    name: "Testlead",
    currency: "CHF",
    money: 12500,
    reminder_date: "2026-04-01",
    user_id: sb.store.profileUserId,
    deal_category_id: category?.id,
    ...overrides,
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
