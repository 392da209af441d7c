import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PostgresGrantStore } from "../../src/store/postgres/grants.js";
import { postgresLocation } from "../../src/store/postgres/setting.js";
import { dropSchema, randomSchema, skipReason, sql, storeUrl } from "../store/postgres-support.js";
import { callMcp, token, tokensFor } from "./form-flow.js";
import { SANDBOX_KEY, SECRET, type Stack, startStack, TABLES } from "./support.js";

/**
 * The authorization server with its grants in PostgreSQL: a whole sign-in, the tokens used and
 * rotated, a second instance on the same database seeing the same grant, and nothing secret in any
 * row in plain text.
 */
const skip = await skipReason();
const schema = randomSchema();
afterAll(async () => {
  if (skip === undefined) await dropSchema(schema);
});
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});
const open = () => PostgresGrantStore.open(postgresLocation(storeUrl(schema)));

describe.skipIf(skip !== undefined)("OAuth grants in PostgreSQL", () => {
  it("signs in, serves and rotates tokens, shares the grant with another instance and keeps only ciphertexts and hashes", async () => {
    stack = await startStack({ store: await open() });
    const { client, code, tokens } = await tokensFor(stack);
    const access = tokens.access_token as string;
    const refresh = tokens.refresh_token as string;
    expect((await callMcp(stack, access)).status).toBe(200);
    const rotated = await token(stack, {
      grant_type: "refresh_token",
      refresh_token: refresh,
      client_id: client.client_id,
    });
    expect(rotated.json.access_token).toBeDefined();
    const rows = (
      await Promise.all(TABLES.map((table) => sql(`SELECT * FROM "${schema}".${table}`)))
    ).flatMap((r) => r.map((row) => JSON.stringify(row)));
    // While the grant is live: its client, grant, used code and both generations of tokens.
    expect(rows.length).toBeGreaterThanOrEqual(7);
    const secrets = {
      SANDBOX_KEY,
      SECRET,
      access,
      refresh,
      code,
      rotated: rotated.json.access_token as string,
    };
    // A replay of the used refresh token is refused (and revokes the family).
    const replay = await token(stack, {
      grant_type: "refresh_token",
      refresh_token: refresh,
      client_id: client.client_id,
    });
    expect(replay.json.error).toBe("invalid_grant");

    const other = await open();
    try {
      const grants = await other.listGrants();
      expect(grants).toHaveLength(1);
      expect(grants[0]?.keySealed).toMatch(/^v1\.[0-9a-f]{8}\.[\w-]{16}\.[\w-]+$/);
      expect(grants[0]?.revokedAt).toBeDefined();
    } finally {
      await other.close();
    }

    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThan(20);
      for (const row of rows) expect(row.includes(secret), `${name} in a row`).toBe(false);
    }
  });
});
