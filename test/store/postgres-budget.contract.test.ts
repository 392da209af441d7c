import { afterAll } from "vitest";
import { PostgresBudgetCells } from "../../src/store/postgres/budget.js";
import { postgresLocation } from "../../src/store/postgres/setting.js";
import { describeBudget } from "./budget-contract.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "./postgres-support.js";

/** The shared budget contract on PostgreSQL, each connection its own pool, in a schema of this run's own. */
const skip = await skipReason();
const schema = randomSchema();
afterAll(async () => {
  if (skip === undefined) await dropSchema(schema);
});

describeBudget("PostgreSQL", () => new PostgresBudgetCells(postgresLocation(storeUrl(schema))), { skip });
