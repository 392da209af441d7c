import { afterAll } from "vitest";
import { PostgresGrantStore } from "../../src/store/postgres/grants.js";
import { postgresLocation } from "../../src/store/postgres/setting.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "../store/postgres-support.js";
import { describeGrantStore } from "./grant-store-contract.js";

/** The GrantStore contract on PostgreSQL, in a schema of this run's own, dropped at the end. */
const skip = await skipReason();
const schema = randomSchema();
afterAll(async () => {
  if (skip === undefined) await dropSchema(schema);
});

describeGrantStore("PostgreSQL", () => PostgresGrantStore.open(postgresLocation(storeUrl(schema))), { skip });
