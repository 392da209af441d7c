import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { openStore } from "../../src/store/index.js";
import { describeLeadStore } from "./contract.js";

/** The LeadStore contract on the embedded SQLite store: in memory, and in a file. */
const root = mkdtempSync(join(tmpdir(), "sqlite-contract-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const nextPath = () => join(root, `store-${++files}.sqlite`);

describeLeadStore(
  "SQLite in memory",
  () => openStore({ kind: "memory" }),
  (store) => store.close(),
);

describeLeadStore(
  "SQLite file",
  () => openStore({ kind: "file", path: nextPath() }),
  (store) => store.close(),
  {
    openBroken: () => {
      const path = nextPath();
      writeFileSync(path, Buffer.alloc(8192, 0x5a));
      return openStore({ kind: "file", path });
    },
  },
);
