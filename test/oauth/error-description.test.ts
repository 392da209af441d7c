import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authorize, pkce, register, token } from "./form-flow.js";
import { type Stack, startStack } from "./support.js";

/**
 * A malformed parameter at /authorize or /token is said in one short sentence in error_description
 * (a client may show it to a person), not as the validator's multi-line JSON dump.
 */
let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.close();
});

const oneSentence = (text: string | null | undefined) => {
  expect(text).toBeTypeOf("string");
  expect(text).not.toMatch(/[\n[{]/);
  expect((text as string).length).toBeLessThan(200);
};

describe("error_description", () => {
  it("/authorize with code_challenge_method=plain: back to the client with one sentence naming the parameter", async () => {
    const { json: client } = await register(stack);
    const s = await authorize(stack, client.client_id, pkce().challenge, { code_challenge_method: "plain" });
    expect(s.status).toBe(302);
    const back = new URL(s.location as string);
    expect(back.searchParams.get("error")).toBe("invalid_request");
    const description = back.searchParams.get("error_description");
    oneSentence(description);
    expect(description).toBe('Invalid parameter: code_challenge_method (expected "S256").');
  });

  it("/authorize without client_id: a 400 whose description is one sentence", async () => {
    const s = await authorize(stack, "", pkce().challenge);
    expect(s.status).toBe(400);
    const json = JSON.parse(s.html) as { error: string; error_description: string };
    expect(json.error).toBe("invalid_request");
    oneSentence(json.error_description);
    expect(json.error_description).toContain("client_id (missing)");
  });

  it("/token without grant_type: a 400 whose description is one sentence", async () => {
    const res = await token(stack, { code: "x" });
    expect(res.status).toBe(400);
    oneSentence((res.json as { error_description?: string }).error_description);
  });
});
