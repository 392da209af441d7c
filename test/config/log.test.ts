import { afterEach, describe, expect, it, vi } from "vitest";
import { log, registerSecret, setLogLevel } from "../../src/log.js";

/** Caller and MOCO text in a log record: one line per record, escaped, clipped, secrets gone. */
function capture(fn: () => void): string {
  let out = "";
  setLogLevel("debug");
  const spy = vi.spyOn(process.stderr, "write").mockImplementation(((chunk: string | Uint8Array) => {
    out += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write);
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return out;
}
afterEach(() => setLogLevel("error"));

describe("log injection", () => {
  it("a caller cannot forge an access-log line through a newline in a message", () => {
    const forged = 'x\nmoco-leads-mcp info: POST /mcp 200 3ms {"tenant":"deadbeef"}\r\n';
    const out = capture(() => log("warn", `update_lead failed: ${forged}`, { name: forged }));
    expect(out.split("\n")).toHaveLength(2); // one record, one trailing newline
    expect(out.endsWith("\n")).toBe(true);
    expect(out).not.toMatch(/\nmoco-leads-mcp info/);
    expect(out).toContain("x\\nmoco-leads-mcp info");
  });

  it("bidi controls, line separators and other control characters are escaped", () => {
    const out = capture(() =>
      log("info", "a\u202eb\u2066c\u2028d\u0007e\u009bf", { v: "\u202e\u2029\u0000" }),
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for raw control characters
    expect(out).not.toMatch(/[\u202e\u2066\u2028\u2029\u0007\u009b\u0000]/);
    expect(out).toContain("a\\u202eb\\u2066c\\u2028d\\u0007e\\u009bf");
  });

  it("a 600 KB message and field are clipped to a few hundred characters", () => {
    const huge = "A".repeat(600_000);
    const out = capture(() => log("warn", huge, { info: huge }));
    expect(out.length).toBeLessThan(2_000);
    expect(out).toMatch(/…\(599000 more chars\)/);
    expect(out).toMatch(/…\(599500 more chars\)/);
  });

  it("a secret cut by the clip leaves no part of it behind", () => {
    const secret = "log-secret-Zq8w4rT2yU6i";
    registerSecret(secret);
    const out = capture(() =>
      log("warn", `${"x".repeat(990)}${secret}`, { f: `${"y".repeat(495)}${secret}` }),
    );
    expect(out).not.toContain(secret.slice(0, 8));
  });
});
