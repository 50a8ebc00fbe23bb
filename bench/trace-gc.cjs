// Preloaded by bench/split-cpu.mjs --trace-gc (NODE_OPTIONS=--require): counts this process's garbage
// collections by kind (a PerformanceObserver on 'gc' entries) and writes the counts so far to stderr
// on SIGUSR2, as one line: `gc-stats {"minor":N,"major":N,"incremental":N,"weak":N,"ms":X}`.
const { PerformanceObserver, constants } = require('node:perf_hooks');
const counts = { minor: 0, major: 0, incremental: 0, weak: 0, ms: 0 };
const kinds = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const k = kinds[e.detail?.kind ?? e.kind];
    if (k) counts[k]++;
    counts.ms += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
process.on('SIGUSR2', () => {
  const m = process.memoryUsage();
  counts.heapUsedMB = Math.round(m.heapUsed / 1e5) / 10;
  counts.externalMB = Math.round(m.external / 1e5) / 10;
  process.stderr.write(`gc-stats ${JSON.stringify(counts)}\n`);
});
