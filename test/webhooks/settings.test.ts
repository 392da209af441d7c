import { describe, expect, it } from "vitest";
import { HELP } from "../../src/help.js";
import { webhookSecrets } from "../../src/webhooks/index.js";

describe("MOCO_WEBHOOK_SECRET", () => {
  it("takes one or several 32-hex secrets, none when unset, and is in --help", () => {
    const problems: string[] = [];
    expect(webhookSecrets(undefined, problems)).toEqual([]);
    expect(webhookSecrets("0123456789abcdef0123456789ABCDEF", problems)).toEqual([
      "0123456789abcdef0123456789ABCDEF",
    ]);
    expect(
      webhookSecrets(" aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", problems),
    ).toHaveLength(2);
    expect(problems).toEqual([]);
    expect(HELP).toContain("MOCO_WEBHOOK_SECRET");
  });

  it("refuses a value that is not MOCO's secret, without echoing it", () => {
    const problems: string[] = [];
    expect(webhookSecrets("hunter2", problems)).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("32 hex");
    expect(problems[0]).not.toContain("hunter2");
  });
});
