import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, text } from "../../support/harness.js";

describe("what a filter was understood as", () => {
  let limited: Harness;
  beforeAll(async () => {
    // A key without the Staff permission: GET /users answers 403, so other users cannot be confirmed.
    limited = await startHarness({ sandbox: { staff: false } });
  });
  afterAll(() => limited.close());

  it("names a user it could not look up by the id alone, not as 'id N (id N)'", async () => {
    const other = limited.sandbox.store.users.find((u) => u.id !== limited.sandbox.store.profileUserId);
    if (!other) throw new Error("the seed has one user only");
    const r = await limited.call("list_leads", { user: other.id, per_page: 1 });
    expect(r.isError, text(r)).toBeFalsy();
    expect(text(r)).toContain(`user = id ${other.id}`);
    expect(text(r)).not.toContain(`id ${other.id} (id ${other.id})`);
  });
});
