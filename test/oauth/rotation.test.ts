import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { Keyring } from "../../src/oauth/crypto.js";
import { createOAuth, type OAuth } from "../../src/oauth/index.js";
import { secretsFromEnv } from "../../src/oauth/options.js";
import { tokensFor } from "./form-flow.js";
import { SECRET, type Stack, startStack } from "./support.js";

/** AES-256-GCM sealing and rotating the secret without logging anyone out. */
const NEW_SECRET = "a-new-sealing-secret-for-rotation-2026-abcdef";

describe("Keyring", () => {
  const keys = new Keyring([SECRET]);

  it("opens what it sealed for the same purpose only", () => {
    const sealed = keys.seal("the-moco-key", "grant:1");
    expect(sealed).not.toContain("the-moco-key");
    expect(keys.open(sealed, "grant:1")).toBe("the-moco-key");
    expect(keys.open(sealed, "grant:2")).toBeUndefined();
  });

  it("refuses a tampered ciphertext", () => {
    const [v, id, iv, body] = keys.seal("the-moco-key", "p").split(".") as [string, string, string, string];
    const flipped = `${body.slice(0, 2)}${body[2] === "A" ? "B" : "A"}${body.slice(3)}`;
    expect(keys.open([v, id, iv, flipped].join("."), "p")).toBeUndefined();
  });

  it("opens with an older secret listed after the current one, and seals with the current", () => {
    const old = new Keyring([SECRET]).seal("k", "p");
    const rotated = new Keyring([NEW_SECRET, SECRET]);
    expect(rotated.open(old, "p")).toBe("k");
    expect(rotated.isStale(old)).toBe(true);
    expect(rotated.isStale(rotated.seal("k", "p"))).toBe(false);
    expect(new Keyring([NEW_SECRET]).open(old, "p")).toBeUndefined();
  });

  it("refuses a secret shorter than 32 characters", () => {
    expect(() => new Keyring(["short"])).toThrow("at least 32 characters");
  });
});

describe("secretsFromEnv", () => {
  it("takes MOCO_OAUTH_SECRET, or the first line of MOCO_OAUTH_SECRET_FILE, then the previous secrets", () => {
    expect(
      secretsFromEnv({ MOCO_OAUTH_SECRET: " s1 ", MOCO_OAUTH_PREVIOUS_SECRETS: "s0, s-1" }, () => ""),
    ).toEqual(["s1", "s0", "s-1"]);
    expect(secretsFromEnv({ MOCO_OAUTH_SECRET_FILE: "/run/secret" }, (p) => `from ${p}\nignored`)).toEqual([
      "from /run/secret",
    ]);
    expect(secretsFromEnv({}, () => "")).toBeUndefined();
  });
});

describe("rotating MOCO_OAUTH_SECRET", () => {
  let stack: Stack | undefined;
  let other: OAuth | undefined;
  afterEach(async () => {
    await other?.close();
    await stack?.close();
    other = stack = undefined;
  });

  const reopen = (s: Stack, secrets: string[]) =>
    createOAuth({
      publicUrl: s.base,
      store: { sqlitePath: s.dbPath },
      secrets,
      subdomains: [],
      loopbackBaseUrl: s.sandbox.url,
      userAgent: "oauth-test",
    });
  const sealedKeyIds = (s: Stack) => {
    const db = new DatabaseSync(s.dbPath, { readOnly: true });
    const rows = db.prepare("SELECT key_sealed FROM oauth_grants").all() as { key_sealed: string }[];
    db.close();
    return rows.map((r) => r.key_sealed.split(".")[1]);
  };

  it("keeps connections working: on start every stored key is sealed anew under the new secret", async () => {
    stack = await startStack();
    const { tokens } = await tokensFor(stack);
    const req = { headers: { authorization: `Bearer ${tokens.access_token}` } } as never;
    const before = sealedKeyIds(stack);
    other = await reopen(stack, [NEW_SECRET, SECRET]);
    const after = sealedKeyIds(stack);
    expect(after).toEqual([new Keyring([NEW_SECRET]).current.id]);
    expect(after).not.toEqual(before);
    await other.close();
    other = await reopen(stack, [NEW_SECRET]);
    const result = await other.authenticate(req);
    expect(result.ok && result.apiKey).toBe(stack.sandbox.apiKey);
  });

  it("asks people to connect again when the secret that sealed their key is gone", async () => {
    stack = await startStack();
    const { tokens } = await tokensFor(stack);
    other = await reopen(stack, [NEW_SECRET]);
    const result = await other.authenticate({
      headers: { authorization: `Bearer ${tokens.access_token}` },
    } as never);
    expect(result).toMatchObject({
      ok: false,
      status: 401,
      message: "This connection must be set up again.",
    });
  });
});
