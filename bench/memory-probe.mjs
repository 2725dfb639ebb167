// Preloaded into the benchmark's worker process (`node --import tsx --import memory-probe.mjs
// src/worker.ts`): prints `BENCH_MEMORY {json}` lines with the process's memory every
// BENCH_MEMORY_INTERVAL_MS (default 2 s). Plain JS, because Node also preloads it into the
// worker's workflow threads, where it does nothing. The timer is unref'd: it never keeps the
// process alive.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const interval = Number(process.env.BENCH_MEMORY_INTERVAL_MS ?? 2000);
  const sample = () => {
    const m = process.memoryUsage();
    const line = { at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
    process.stdout.write(`BENCH_MEMORY ${JSON.stringify(line)}\n`);
  };
  setInterval(sample, interval > 0 ? interval : 2000).unref();
  sample();
}
