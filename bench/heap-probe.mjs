// Preloaded into the server by `npm run bench` (node --expose-gc --import bench/heap-probe.mjs …), only
// for the memory row: on SIGUSR2 it collects garbage and appends the live heap to $BENCH_HEAP_FILE.
// It tells a leak (live heap grows) from V8 sizing its heap to the allocation rate (only RSS grows).
import { appendFileSync } from "node:fs";

const file = process.env.BENCH_HEAP_FILE;
if (file) {
  process.on("SIGUSR2", () => {
    globalThis.gc?.();
    const { heapUsed, heapTotal, rss } = process.memoryUsage();
    appendFileSync(file, `${JSON.stringify({ heapUsed, heapTotal, rss })}\n`);
  });
}
