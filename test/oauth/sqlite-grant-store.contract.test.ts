import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { SqliteGrantStore } from "../../src/oauth/sqlite-store.js";
import { describeGrantStore } from "./grant-store-contract.js";

/** The GrantStore contract on one SQLite file, opened anew for each test. */
const dir = mkdtempSync(join(tmpdir(), "grant-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeGrantStore("SQLite", async () => SqliteGrantStore.open(join(dir, "grants.sqlite")));
