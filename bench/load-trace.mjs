// Preloaded by `npm run bench` (node --import bench/load-trace.mjs …) only for the start-set row: appends
// the URL of every file module Node loads to $BENCH_LOAD_FILE, so the row says which files of dist/ a
// start really read, not which ones the build graph says it should.
import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";

const file = process.env.BENCH_LOAD_FILE;
if (file) {
  registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith("file:")) appendFileSync(file, `${url}\n`);
      return nextLoad(url, context);
    },
  });
}
