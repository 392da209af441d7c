import type { DealRecord, SandboxStore } from "../../src/sandbox/index.js";

/**
 * Expected figures computed straight from the sandbox's raw records (MOCO's flat shape with foreign
 * keys), deliberately without any of the server's own code, so that a test compares two independent
 * computations.
 */
export const stageOf = (store: SandboxStore, d: DealRecord) => {
  const c = store.categories.find((x) => x.id === d.deal_category_id);
  if (!c) throw new Error(`deal ${d.id} has no category`);
  return c;
};

export const userNameOf = (store: SandboxStore, d: DealRecord) => {
  const u = store.users.find((x) => x.id === d.user_id);
  return u ? `${u.firstname} ${u.lastname}` : "(no user)";
};

/** Weighted value: money × stage probability / 100, for pending leads only. */
export const weightedOf = (store: SandboxStore, d: DealRecord) =>
  d.status === "pending" ? (d.money * stageOf(store, d).probability) / 100 : 0;

export interface Totals {
  count: number;
  total: number;
  weighted: number;
}

export function totalsBy<K>(
  deals: readonly DealRecord[],
  store: SandboxStore,
  key: (d: DealRecord) => K[],
): Map<K, Totals> {
  const out = new Map<K, Totals>();
  for (const d of deals) {
    for (const k of key(d)) {
      const t = out.get(k) ?? { count: 0, total: 0, weighted: 0 };
      t.count += 1;
      t.total += d.money;
      t.weighted += weightedOf(store, d);
      out.set(k, t);
    }
  }
  return out;
}

/** Lower case without accents, written independently of the server's fold(). */
export const plain = (s: string) =>
  s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();

export { type Json as Data, sc } from "./harness.js";
