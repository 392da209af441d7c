// What a start reads: every file of dist/ that Node loads from spawn until `initialize` is answered,
// traced in the real process (bench/load-trace.mjs), with its size on disk. The OAuth chunk and the
// sandbox must not be among them without --oauth / --sandbox.
import { readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { coldStartHttpMs, coldStartMs } from "./cold-start.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist");
const TRACE = pathToFileURL(join(ROOT, "bench/load-trace.mjs")).href;

export interface StartSet {
  files: { path: string; bytes: number }[];
  bytes: number;
  /** Loaded files that only --oauth or --sandbox should load. */
  unwanted: string[];
}

/** dist/chunks/oauth-*.js is esbuild's chunk for src/oauth (named after its entry's dynamic import). */
const UNWANTED = [/^chunks\/oauth-/, /^sandbox\//];

export async function startSet(transport: "stdio" | "http", env: NodeJS.ProcessEnv): Promise<StartSet> {
  const file = join(tmpdir(), `moco-leads-bench-load-${process.pid}-${transport}.txt`);
  rmSync(file, { force: true });
  const args = ["--import", TRACE, join(DIST, "index.js")];
  const traced = { ...env, BENCH_LOAD_FILE: file };
  if (transport === "stdio") await coldStartMs(args, traced);
  else await coldStartHttpMs([...args, "--transport", "http", "--port", "0"], traced);
  const urls = [...new Set(readFileSync(file, "utf8").split("\n").filter(Boolean))];
  rmSync(file, { force: true });
  const files = urls
    .map((u) => fileURLToPath(u))
    .filter((p) => p.startsWith(`${DIST}/`))
    .map((p) => ({ path: relative(DIST, p), bytes: statSync(p).size }));
  return {
    files,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    unwanted: files.map((f) => f.path).filter((p) => UNWANTED.some((re) => re.test(p))),
  };
}

/**
 * The same start set as esbuild's graph says it: the bin, main.js (the bin always imports it) and
 * their static imports, from a metafile of a build of the same sources into a scratch folder; with
 * what each package contributes. A cross-check of the trace, and the place to see what to cut.
 */
export async function startSetFromMetafile(
  transport: "stdio" | "http",
): Promise<{ files: string[]; bytes: number; byPackage: [string, number][] } | string> {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const { mkdtempSync } = await import("node:fs");
  const out = mkdtempSync(join(tmpdir(), "moco-leads-bench-meta-"));
  try {
    await promisify(execFile)(
      process.execPath,
      [join(ROOT, "scripts/build.mjs"), "--outdir", out, "--metafile", join(out, "meta.json")],
      { cwd: ROOT },
    );
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8")) as {
      outputs: Record<
        string,
        {
          bytes: number;
          imports: { path: string; kind: string; external?: boolean }[];
          inputs: Record<string, { bytesInOutput: number }>;
        }
      >;
    };
    const name = (p: string) => relative(out, join(ROOT, p));
    const byName = new Map(Object.keys(meta.outputs).map((p) => [name(p), p]));
    const seen = new Set<string>();
    const visit = (p: string | undefined) => {
      if (!p || seen.has(p)) return;
      seen.add(p);
      for (const i of meta.outputs[p]?.imports ?? [])
        if (!i.external && i.kind === "import-statement") visit(i.path);
    };
    for (const entry of ["index.js", "main.js", ...(transport === "http" ? ["transports/http.js"] : [])]) {
      visit(byName.get(entry));
    }
    const packages = new Map<string, number>();
    for (const p of seen) {
      for (const [input, { bytesInOutput }] of Object.entries(meta.outputs[p]?.inputs ?? {})) {
        const parts = input.split("/");
        const pkg =
          parts[0] === "node_modules"
            ? parts.slice(1, parts[1]?.startsWith("@") ? 3 : 2).join("/")
            : parts.slice(0, parts[0] === "src" && parts.length > 2 ? 2 : 1).join("/");
        packages.set(pkg, (packages.get(pkg) ?? 0) + bytesInOutput);
      }
    }
    return {
      files: [...seen].map(name),
      bytes: [...seen].reduce((n, p) => n + (meta.outputs[p]?.bytes ?? 0), 0),
      byPackage: [...packages].sort((a, b) => b[1] - a[1]),
    };
  } catch (error) {
    return `metafile not built (${(error as Error).message.split("\n")[0]})`;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
