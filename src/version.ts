import { createRequire } from "node:module";

/** Compiled in by scripts/build.mjs (esbuild `define`); absent when running from source (tsx, vitest). */
declare const MOCO_LEADS_PACKAGE: { name: string; version: string } | undefined;

/** The package's own name and version: compiled into the bundle, else read from package.json beside src/. */
const pkg: { name: string; version: string } =
  typeof MOCO_LEADS_PACKAGE === "undefined"
    ? createRequire(import.meta.url)("../package.json")
    : MOCO_LEADS_PACKAGE;

export const VERSION = pkg.version;
export const USER_AGENT = `${pkg.name}/${pkg.version} (+https://www.npmjs.com/package/${pkg.name})`;
