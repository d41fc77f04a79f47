// Preloaded into the service by bench/p99-anatomy.mjs (`node --import`): one line on stderr
// per major garbage collection, `gc-major <start, epoch ms> <pause ms>`.
import { constants, PerformanceObserver } from 'node:perf_hooks';

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      const startedAt = Math.round(performance.timeOrigin + entry.startTime);
      process.stderr.write(`gc-major ${startedAt} ${entry.duration.toFixed(1)}\n`);
    }
  }
}).observe({ entryTypes: ['gc'] });
