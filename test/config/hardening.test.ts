import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { TOOL_NAMES } from "../../src/tools/index.js";
import { asHttp } from "../support/http-config.js";

/** The limits behind the hardening are configurable, with defaults, and contradictory values refused. */
const http = ["--transport", "http"];
const account = { MOCO_API_KEY: "config-key-1234", MOCO_SUBDOMAIN: "acme" };

describe("hardening configuration", () => {
  it("HTTP timeouts and connection caps have defaults and come from the environment", () => {
    expect(asHttp(loadConfig(http, account, TOOL_NAMES)).http).toMatchObject({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 512,
      maxConnectionsPerAddress: 128,
    });
    const env = {
      ...account,
      MCP_HTTP_HEADERS_TIMEOUT_MS: "2000",
      MCP_HTTP_REQUEST_TIMEOUT_MS: "4000",
      MCP_HTTP_KEEP_ALIVE_TIMEOUT_MS: "1000",
      MCP_HTTP_MAX_CONNECTIONS: "50",
      MCP_HTTP_MAX_CONNECTIONS_PER_ADDRESS: "5",
    };
    expect(asHttp(loadConfig(http, env, TOOL_NAMES)).http).toMatchObject({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 4_000,
      keepAliveTimeoutMs: 1_000,
      maxConnections: 50,
      maxConnectionsPerAddress: 5,
    });
  });

  it("a headers timeout longer than the request timeout is refused", () => {
    const env = { ...account, MCP_HTTP_HEADERS_TIMEOUT_MS: "9000", MCP_HTTP_REQUEST_TIMEOUT_MS: "3000" };
    expect(() => loadConfig(http, env, TOOL_NAMES)).toThrow(ConfigError);
  });

  it("per-request mode needs no MOCO key of its own and carries the tenant limits", () => {
    const config = loadConfig([...http, "--per-request-credentials"], { MCP_MAX_ACCOUNTS: "20" }, TOOL_NAMES);
    expect(config.upstream).toEqual({
      kind: "per-request",
      allowBaseUrlHeader: false,
      limits: { maxTenants: 1000, maxAccounts: 20, maxUpstreamConnections: 400 },
    });
  });

  it("more accounts than upstream sockets is refused", () => {
    const env = { MCP_MAX_ACCOUNTS: "50", MCP_UPSTREAM_CONNECTIONS: "10" };
    expect(() => loadConfig([...http, "--per-request-credentials"], env, TOOL_NAMES)).toThrow(
      /MCP_MAX_ACCOUNTS must not exceed MCP_UPSTREAM_CONNECTIONS/,
    );
  });
});
