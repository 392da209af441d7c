import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { SqliteBudgetCells } from "../../src/store/sqlite-budget.js";
import { describeBudget } from "./budget-contract.js";

/** The shared budget contract on one SQLite file, each connection its own as each process has. */
const dir = mkdtempSync(join(tmpdir(), "moco-budget-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeBudget("a SQLite file", () => new SqliteBudgetCells(join(dir, "store.sqlite")));
