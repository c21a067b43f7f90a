// `npm run bench [-- name…]`: runs the benchmarks (all, or those named), prints tables, writes
// bench-results/*.json. Never part of npm test.
import { runAlertBenchmarks } from './alerts.bench.js';
import { runClusterBenchmarks } from './cluster.bench.js';
import { runFileBenchmarks } from './files.bench.js';
import { runHostileBenchmarks } from './hostile.bench.js';
import { runMemoryBenchmarks } from './memory.bench.js';
import { runMetricsBenchmarks } from './metrics.bench.js';
import { runProbeBenchmarks } from './probes.bench.js';
import { runQueueBenchmarks } from './queue.bench.js';
import { runStormBenchmarks } from './storm.bench.js';
import { runTerminalBenchmarks } from './terminal.bench.js';
import { runUiBenchmarks } from './ui.bench.js';

const suites: Record<string, () => Promise<unknown>> = {
  queue: runQueueBenchmarks,
  files: runFileBenchmarks,
  metrics: runMetricsBenchmarks,
  cluster: () => runClusterBenchmarks({ crossOnly: process.argv.includes('--cross-only') }),
  ui: runUiBenchmarks,
  storm: () => runStormBenchmarks(),
  memory: () => runMemoryBenchmarks(),
  hostile: runHostileBenchmarks,
  alerts: runAlertBenchmarks,
  terminal: runTerminalBenchmarks,
  probes: runProbeBenchmarks,
};
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length ? wanted : Object.keys(suites)) {
  const suite = suites[name];
  if (!suite) {
    console.error(`unknown benchmark "${name}"; available: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n## ${name}`);
  await suite();
}
process.exit(0);
