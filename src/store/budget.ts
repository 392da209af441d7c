import type { BudgetCells, RateBudget } from "../moco/budget.js";
import type { RateLimit } from "../moco/rate-limit.js";
import { SharedBudget, type SharedBudgetOptions } from "../moco/shared-budget.js";
import type { StoreSetting } from "./location.js";

/**
 * MOCO's rate budget shared by every process of a deployment through its store: one SharedBudget per
 * MOCO account (its base URL) in this process, all of them on one set of BudgetCells (a connection of
 * their own to the SQLite file or the PostgreSQL database, opened on first use). Without a store that
 * other processes can see (MOCO_STORE=memory or off) there is none: each process keeps its own budget.
 */
export interface SharedBudgets {
  /** This process's budget for the account at `baseUrl`, shared with every other process of the store. */
  forAccount(baseUrl: string): RateBudget;
  close(): Promise<void>;
}

export type BudgetTuning = Omit<SharedBudgetOptions, "rate" | "cells" | "scope">;

/** Accounts whose budget is kept; beyond it, idle ones are forgotten (the store keeps their state). */
const MAX_ACCOUNTS = 1000;

export function sharedBudgets(
  setting: StoreSetting,
  rate: RateLimit,
  tuning: BudgetTuning = {},
): SharedBudgets | undefined {
  const cells = budgetCells(setting);
  if (!cells) return undefined;
  const instances = setting.kind === "postgres" ? setting.instances : undefined;
  const budgets = new Map<string, SharedBudget>();
  return {
    forAccount(baseUrl) {
      let budget = budgets.get(baseUrl);
      if (!budget) {
        if (budgets.size >= MAX_ACCOUNTS) {
          for (const [url, idle] of budgets) {
            if (!idle.idle()) continue;
            budgets.delete(url);
            idle.close();
          }
        }
        budget = new SharedBudget({ rate, cells, scope: baseUrl, instances, ...tuning });
        budgets.set(baseUrl, budget);
      }
      return budget;
    },
    async close() {
      for (const budget of budgets.values()) budget.close();
      budgets.clear();
      await cells.close();
    },
  };
}

/** The cells of a store other processes can see; the driver is loaded on first use. */
export function budgetCells(setting: StoreSetting): BudgetCells | undefined {
  if (setting.kind === "off" || setting.kind === "memory") return undefined;
  let opened: Promise<BudgetCells> | undefined;
  const open = () =>
    (opened ??=
      setting.kind === "postgres"
        ? import("./postgres/budget.js").then(({ PostgresBudgetCells }) => new PostgresBudgetCells(setting))
        : import("./sqlite-budget.js").then(({ SqliteBudgetCells }) => new SqliteBudgetCells(setting.path)));
  return {
    take: async (...args) => (await open()).take(...args),
    release: async (...args) => (await open()).release(...args),
    pause: async (...args) => (await open()).pause(...args),
    check: async () => (await open()).check(),
    close: async () => {
      if (opened) await (await opened).close();
    },
  };
}
