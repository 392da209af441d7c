import type { Config, HttpConfig } from "../../src/config.js";

/** The HTTP variant of a loaded config; a test that meant to load one fails here if it did not. */
export function asHttp(config: Config): HttpConfig {
  if (config.transport !== "http")
    throw new Error(`expected an HTTP config, got transport ${config.transport}`);
  return config;
}
