import { createRequire } from "node:module";

/** The package's own name and version, read from package.json next to dist/ and src/. */
const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

export const PACKAGE_NAME = pkg.name;
export const VERSION = pkg.version;
export const USER_AGENT = `${pkg.name}/${pkg.version} (+https://www.npmjs.com/package/${pkg.name})`;
