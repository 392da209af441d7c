import { isPostgresUrl } from "./postgres/setting.js";

/** What MOCO_STORE may name, for the line that refuses anything else. */
export const KNOWN_STORE_SETTINGS = "postgres://…, postgresql://…, a file path, memory or off";

/** A MOCO_STORE value that looks like a URL of a store this server does not know. */
export class UnknownStoreSchemeError extends Error {
  constructor(readonly scheme: string) {
    super(`MOCO_STORE: no lead store for "${scheme}://" URLs; known: ${KNOWN_STORE_SETTINGS}`);
    this.name = "UnknownStoreSchemeError";
  }
}

/** Throws UnknownStoreSchemeError for `scheme://…` unless the scheme is a known one. */
export function refuseUnknownScheme(value: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
  if (scheme !== undefined && !isPostgresUrl(value)) throw new UnknownStoreSchemeError(scheme);
}
