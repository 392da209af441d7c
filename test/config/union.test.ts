import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, oauthOf } from "../../src/config.js";

/** The config is one union of transport × upstream: each mode carries what it needs, and nothing else. */
const TOOLS = ["list_leads"];
const live = { MOCO_API_KEY: "k-123456", MOCO_SUBDOMAIN: "acme" };
const oauthEnv = { MOCO_OAUTH_SECRET: "s".repeat(40), MOCO_OAUTH_SUBDOMAINS: "acme" };
const oauthArgv = ["--transport", "http", "--oauth", "--public-url", "https://leads.acme.test"];
const limits = { MCP_MAX_TENANTS: "7", MCP_MAX_ACCOUNTS: "3", MCP_UPSTREAM_CONNECTIONS: "9" };

function problems(argv: string[], env: Record<string, string>): string[] {
  try {
    loadConfig(argv, env, TOOLS);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("configuration union", () => {
  it("stdio carries the server's own account and no HTTP settings", () => {
    const config = loadConfig([], live, TOOLS);
    expect(config.transport).toBe("stdio");
    expect(config.upstream).toEqual({
      kind: "account",
      baseUrl: "https://acme.mocoapp.com/api/v1",
      apiKey: "k-123456",
    });
    expect("http" in config).toBe(false);
  });

  it("--oauth carries its settings and the configured tenant limits", () => {
    const config = loadConfig(oauthArgv, { ...oauthEnv, ...limits }, TOOLS);
    expect(config.upstream.kind).toBe("oauth");
    expect(oauthOf(config.upstream)).toMatchObject({
      publicUrl: "https://leads.acme.test",
      subdomains: ["acme"],
      limits: { maxTenants: 7, maxAccounts: 3, maxUpstreamConnections: 9 },
    });
  });

  it("--sandbox --oauth stays a sandbox (its notice) and carries the configured tenant limits too", () => {
    const config = loadConfig([...oauthArgv, "--sandbox"], { ...oauthEnv, ...limits }, TOOLS);
    expect(config.upstream.kind).toBe("sandbox");
    expect(oauthOf(config.upstream)?.limits).toEqual({
      maxTenants: 7,
      maxAccounts: 3,
      maxUpstreamConnections: 9,
    });
    expect(problems([...oauthArgv, "--sandbox"], { ...oauthEnv, MCP_MAX_TENANTS: "0" })[0]).toMatch(
      /MCP_MAX_TENANTS must be a whole number/,
    );
  });

  it("OAuth defaults to the same tenant limits as per-request credentials", () => {
    const oauth = loadConfig(oauthArgv, oauthEnv, TOOLS);
    const perRequest = loadConfig(["--transport", "http", "--per-request-credentials"], {}, TOOLS);
    expect(perRequest.upstream.kind === "per-request" && perRequest.upstream.limits).toEqual(
      oauthOf(oauth.upstream)?.limits,
    );
  });

  it("a plain sandbox has no OAuth front door", () => {
    expect(oauthOf(loadConfig(["--sandbox"], {}, TOOLS).upstream)).toBeUndefined();
    expect(oauthOf(loadConfig(["--transport", "http", "--sandbox"], {}, TOOLS).upstream)).toBeUndefined();
  });
});
