import type { Harness } from "./harness.js";

export { type Json, sc } from "./harness.js";

/** "METHOD /path" of every request the sandbox got since `from` (an index into h.sandbox.requests). */
export const requestsSince = (h: Harness, from: number) =>
  h.sandbox.requests.slice(from).map((r) => `${r.method} ${r.path}`);

export const writesSince = (h: Harness, from: number) =>
  requestsSince(h, from).filter((r) => !r.startsWith("GET "));

/** Runs `fn` and returns its result with the requests it caused. */
export async function counting<T>(
  h: Harness,
  fn: () => Promise<T>,
): Promise<{ result: T; requests: string[] }> {
  const from = h.sandbox.requests.length;
  const result = await fn();
  return { result, requests: requestsSince(h, from) };
}

export const store = (h: Harness) => h.sandbox.store;
export const userNamed = (h: Harness, first: string) => {
  const u = store(h).users.find((x) => x.firstname === first);
  if (!u) throw new Error(`no user ${first} in the seed`);
  return u;
};
export const stageNamed = (h: Harness, name: string) => {
  const c = store(h).categories.find((x) => x.name === name);
  if (!c) throw new Error(`no stage ${name} in the seed`);
  return c;
};
export const companyNamed = (h: Harness, name: string) => {
  const c = store(h).companies.find((x) => x.name === name);
  if (!c) throw new Error(`no company ${name} in the seed`);
  return c;
};

// Each default name unlike the others (create_lead refuses an open lookalike, with or without company).
let made = 100;

/** A valid minimal create, by ids; its default name is one no other open lead has. */
export const baseLead = (h: Harness, extra: Record<string, unknown> = {}) => ({
  name: `Lead ${made++}`,
  currency: "EUR",
  money: 1000,
  reminder_date: "2026-06-01",
  user_id: userNamed(h, "Nicola").id,
  deal_category_id: stageNamed(h, "Kontaktieren").id,
  ...extra,
});
