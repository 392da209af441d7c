import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const TOOLS = ["list_leads", "get_lead", "create_lead"];
const live = { MOCO_API_KEY: "k-123456", MOCO_SUBDOMAIN: "acme" };
const baseUrl = (argv: string[], env: Record<string, string>) => {
  const { upstream } = loadConfig(argv, env, TOOLS);
  return upstream.kind === "account" ? upstream.baseUrl : `(${upstream.kind})`;
};

function problems(argv: string[], env: Record<string, string>): string[] {
  try {
    loadConfig(argv, env, TOOLS);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("configuration", () => {
  it("builds the base URL from a bare subdomain or a full host name", () => {
    expect(baseUrl([], live)).toBe("https://acme.mocoapp.com/api/v1");
    expect(baseUrl([], { ...live, MOCO_SUBDOMAIN: "Acme.mocoapp.com" })).toBe(
      "https://acme.mocoapp.com/api/v1",
    );
  });

  it("names every missing setting at once, with where to find the key", () => {
    const found = problems([], {});
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/MOCO_API_KEY is missing.*Integrations/);
    expect(found[1]).toMatch(/MOCO_SUBDOMAIN is missing/);
  });

  it.each(["acme.evil.com/x", "-acme", "ac me", "acme.mocoapp.com.evil.io", "a_b"])(
    "rejects the subdomain %j",
    (sub) => {
      expect(problems([], { ...live, MOCO_SUBDOMAIN: sub })[0]).toMatch(/not a valid subdomain/);
    },
  );

  it("lets MOCO_BASE_URL override the subdomain, https or loopback http only", () => {
    expect(baseUrl([], { MOCO_API_KEY: "k-1234", MOCO_BASE_URL: "http://127.0.0.1:9/api/v1/" })).toBe(
      "http://127.0.0.1:9/api/v1",
    );
    expect(
      problems([], { MOCO_API_KEY: "k-1234", MOCO_BASE_URL: "http://moco.example.com/api/v1" })[0],
    ).toMatch(/https/);
    expect(problems([], { MOCO_API_KEY: "k-1234", MOCO_BASE_URL: "https://moco.example.com/v2" })[0]).toMatch(
      /\/api\/v1/,
    );
  });

  it("needs no account in sandbox mode", () => {
    expect(loadConfig(["--sandbox"], {}, TOOLS).upstream).toEqual({ kind: "sandbox" });
  });

  it("validates numbers and booleans", () => {
    expect(problems([], { ...live, MOCO_TIMEOUT_MS: "soon" })[0]).toMatch(
      /MOCO_TIMEOUT_MS must be a whole number/,
    );
    expect(problems([], { ...live, MOCO_READ_ONLY: "maybe" })[0]).toMatch(
      /MOCO_READ_ONLY must be true or false/,
    );
    expect(loadConfig([], { ...live, MOCO_RATE_LIMIT: "1200" }, TOOLS).rateLimit).toEqual({
      limit: 1200,
      windowMs: 120_000,
    });
  });

  it("takes the mirror's sync lease in seconds (default 60, 1–600)", () => {
    expect(loadConfig([], live, TOOLS).storeLeaseSeconds).toBe(60);
    expect(loadConfig([], { ...live, MOCO_STORE_LEASE_SECONDS: "2" }, TOOLS).storeLeaseSeconds).toBe(2);
    expect(problems([], { ...live, MOCO_STORE_LEASE_SECONDS: "0" })[0]).toMatch(/MOCO_STORE_LEASE_SECONDS/);
  });

  it("refuses unknown tool names in allow- and deny-lists", () => {
    expect(problems(["--tools", "list_leads,get_leads"], live)[0]).toMatch(/Unknown tool "get_leads"/);
    expect(problems([], { ...live, MOCO_DENY_TOOLS: "drop_table" })[0]).toMatch(/Unknown tool "drop_table"/);
  });

  it("refuses a weak HTTP token and an unknown log level", () => {
    expect(problems([], { ...live, MCP_HTTP_TOKEN: "secret" })[0]).toMatch(/MCP_HTTP_TOKEN is too short/);
    expect(problems([], { ...live, MOCO_LOG_LEVEL: "verbose" })[0]).toMatch(/MOCO_LOG_LEVEL must be one of/);
    expect(loadConfig([], { ...live, MOCO_LOG_LEVEL: "WARN" }, TOOLS).logLevel).toBe("warn");
  });

  it("refuses unknown flags", () => {
    expect(problems(["--sandbx"], live)[0]).toMatch(/--sandbx.*--help/);
  });

  it("refuses to serve HTTP off loopback without a token", () => {
    expect(problems(["--transport", "http", "--host", "0.0.0.0"], live)[0]).toMatch(/MCP_HTTP_TOKEN/);
    expect(
      problems(["--transport", "http", "--host", "0.0.0.0"], { ...live, MCP_HTTP_TOKEN: "t".repeat(32) }),
    ).toEqual([]);
  });

  it("needs no MOCO credentials of its own when every HTTP request brings them", () => {
    const config = loadConfig(["--transport", "http", "--per-request-credentials"], {}, TOOLS);
    expect(config.upstream).toMatchObject({ kind: "per-request", allowBaseUrlHeader: false });
    expect(problems(["--per-request-credentials"], live)[0]).toMatch(/only works with --transport http/);
  });

  it("refuses modes that contradict each other", () => {
    const both = ["--transport", "http", "--per-request-credentials", "--sandbox"];
    expect(problems(both, {})[0]).toMatch(/--sandbox and --per-request-credentials exclude each other/);
    expect(problems([], { ...live, MCP_ALLOW_BASE_URL_HEADER: "true" })[0]).toMatch(
      /MCP_ALLOW_BASE_URL_HEADER only works with --per-request-credentials/,
    );
  });

  it("returns a frozen config", () => {
    expect(Object.isFrozen(loadConfig([], live, TOOLS))).toBe(true);
  });
});
