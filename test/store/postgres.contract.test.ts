import { afterAll } from "vitest";
import { openStore, resolveStoreSetting } from "../../src/store/index.js";
import type { StoreLocation } from "../../src/store/types.js";
import { describeLeadStore } from "./contract.js";
import { dropSchema, randomSchema, skipReason, storeUrl } from "./postgres-support.js";

/** The LeadStore contract on PostgreSQL, in a schema of this run's own, dropped at the end. */
const skip = await skipReason();
const schema = randomSchema();
afterAll(async () => {
  if (skip === undefined) await dropSchema(schema);
});

const location = (url: string) => resolveStoreSetting(url) as StoreLocation;

describeLeadStore(
  "PostgreSQL",
  () => openStore(location(storeUrl(schema, { pool_max: "4" }))),
  (store) => store.close(),
  {
    skip,
    // Nothing listens on port 1.
    openBroken: () => openStore(location(`postgres://postgres@127.0.0.1:1/test?schema=${schema}`)),
  },
);
