import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";

/** `moco-leads-mcp webhooks …`, the built bin against the sandbox's /account/web_hooks. */
const BIN = new URL("../../dist/index.js", import.meta.url).pathname;
const URL_OURS = "https://leads.example.test/webhooks/moco";

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

function run(
  s: Sandbox,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, "webhooks", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      MOCO_API_KEY: s.apiKey,
      MOCO_BASE_URL: s.url,
      MOCO_LOG_LEVEL: "error",
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

const pairs = (s: Sandbox) => s.store.webHooks.hooks.map((h) => `${h.target} ${h.event} ${h.hook}`).sort();

describe("moco-leads-mcp webhooks", () => {
  it("registers Deal and Comment hooks for create, update and delete once, lists and removes ours only", async () => {
    sandbox = await startSandbox();
    const s = sandbox;
    s.store.webHooks.add(
      { target: "Project", event: "create", hook: "https://other.test/x" },
      "2026-01-01T00:00:00Z",
    );
    const first = await run(s, "register", URL_OURS);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    const ours = ["Comment", "Deal"].flatMap((t) =>
      ["create", "delete", "update"].map((e) => `${t} ${e} ${URL_OURS}`),
    );
    expect(pairs(s)).toEqual([...ours, "Project create https://other.test/x"].sort());
    const again = await run(s, "register", URL_OURS);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/already registered/g)).toHaveLength(6);
    expect(s.store.webHooks.hooks).toHaveLength(7);
    const listed = await run(s, "list");
    expect(listed.stdout.split("\n").filter((l) => l.endsWith("(ours)"))).toHaveLength(6);
    expect(listed.stdout).toContain("https://other.test/x");
    const removed = await run(s, "remove");
    expect(removed.code).toBe(0);
    expect(pairs(s)).toEqual(["Project create https://other.test/x"]);
  });

  it("refuses a URL that is not a /webhooks/moco address, and an unknown verb, before any request", async () => {
    sandbox = await startSandbox();
    const before = sandbox.requests.length;
    expect((await run(sandbox, "register", "https://x.test/elsewhere")).code).toBe(2);
    expect((await run(sandbox, "frobnicate")).code).toBe(2);
    expect(sandbox.requests.length).toBe(before);
  });
});
