import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, oauthOf } from "../../src/config.js";
import { type Level, setLogLevel } from "../../src/log.js";
import { createOAuth, type OAuth, SqliteGrantStore } from "../../src/oauth/index.js";
import { resolveStoreSetting } from "../../src/store/location.js";
import { TOOL_NAMES } from "../../src/tools/index.js";
import { tokensFor } from "./form-flow.js";
import { captureStderr, SECRET, type Stack, startStack } from "./support.js";

/** The grant file: in the lead store's data directory, owner-only, without the person's name. */
let stack: Stack | undefined;
let oauth: OAuth | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await stack?.close();
  await oauth?.close();
  stack = undefined;
  oauth = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const LEVEL_BEFORE = (process.env.MOCO_LOG_LEVEL as Level | undefined) ?? "info";
const OAUTH_ENV = {
  MOCO_OAUTH_SECRET: SECRET,
  MOCO_OAUTH_SUBDOMAINS: "acme",
};

describe("the grant file", () => {
  it("defaults to the lead store's data directory, not the working directory", () => {
    const env = { ...OAUTH_ENV, XDG_DATA_HOME: "/srv/data", HOME: "/home/anna" };
    const config = loadConfig(
      ["--transport", "http", "--oauth", "--public-url", "https://leads.acme.ch"],
      env,
      TOOL_NAMES,
    );
    if (config.transport !== "http") throw new Error("expected the http transport");
    const lead = resolveStoreSetting(undefined, env, "linux");
    if (lead.kind !== "file") throw new Error("expected a lead store file");
    const dbPath = oauthOf(config.upstream)?.dbPath ?? "";
    expect(dirname(dbPath)).toBe(dirname(lead.path));
    expect(dbPath).toBe("/srv/data/moco-leads-mcp/oauth-grants.sqlite");
  });

  it("is created 0600 in a directory created 0700, and says on stderr where it is", async () => {
    const root = mkdtempSync(join(tmpdir(), "grant-file-"));
    dirs.push(root);
    const path = join(root, "data", "moco-leads-mcp", "oauth-grants.sqlite");
    const err = captureStderr();
    setLogLevel("info");
    try {
      oauth = await createOAuth({
        publicUrl: "http://127.0.0.1:1",
        store: { sqlitePath: path },
        secrets: [SECRET],
        subdomains: ["acme"],
        userAgent: "grant-file-test",
      });
    } finally {
      setLogLevel(LEVEL_BEFORE);
      err.stop();
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(err.text()).toContain(`oauth: grants kept in ${path}`);
  });

  it("keeps the MOCO account of a grant but not the person's name or e-mail", async () => {
    stack = await startStack();
    const { tokens } = await tokensFor(stack);
    expect(tokens.access_token).toBeTruthy();
    const profile = stack.sandbox.store.profile();
    const raw = stack.raw();
    expect(raw).toContain(new URL(stack.sandbox.url).host);
    for (const personal of [profile.email, profile.firstname, profile.lastname]) {
      expect(personal.length).toBeGreaterThan(2);
      expect(raw).not.toContain(personal);
    }
  });

  it("clears names and e-mail addresses from a grant store of an earlier version on its first open", async () => {
    const root = mkdtempSync(join(tmpdir(), "grant-file-"));
    dirs.push(root);
    const path = join(root, "grants.sqlite");
    const old = new SqliteGrantStore(path);
    await old.putClient({ clientId: "c1", metadata: "{}", secretSealed: undefined, createdAt: 1 });
    await old.createGrant({
      id: "g1",
      clientId: "c1",
      baseUrl: "https://acme.mocoapp.com/api/v1",
      keySealed: "v1.x.y.z",
      subject: JSON.stringify({ name: "Anna Schmid", email: "anna@acme.ch", account: "acme.mocoapp.com" }),
      scope: "leads:read",
      resource: "https://leads.acme.ch/mcp",
      createdAt: 1,
      activatedAt: 1,
      expiresAt: Date.now() + 60_000,
      revokedAt: undefined,
    });
    await old.close();
    // Back to schema version 1, as a file of an earlier version is.
    const db = new DatabaseSync(path);
    db.exec("ALTER TABLE oauth_codes DROP COLUMN redirect_uri_required");
    db.exec("DROP TABLE oauth_limits");
    db.exec("DELETE FROM oauth_migrations WHERE version > 1");
    db.close();
    const reopened = new SqliteGrantStore(path);
    const grant = await reopened.getGrant("g1");
    await reopened.close();
    expect(JSON.parse(grant?.subject ?? "null")).toEqual({ account: "acme.mocoapp.com" });
  });
});
