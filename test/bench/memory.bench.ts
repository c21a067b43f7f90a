// Master memory per connected agent: RSS, JS heap and external memory after forced collections, with
// N simulated agents connected over TLS (the default), over plain WebSocket (to isolate what TLS
// costs per connection), and over TLS with every agent sending a metrics sample every 5 s. Each variant
// runs in a fresh process, so one variant's freed memory does not hide the next one's growth.
import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import vm from 'node:vm';
import { benchMaster, createNodes, externalSwarm, saveResult, sleep } from './harness.js';

v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;
const KiB = 1024;

async function settledMemory() {
  for (let i = 0; i < 3; i++) {
    collect();
    await sleep(200);
  }
  return process.memoryUsage();
}

async function perAgent(agents: number, tls: boolean, metrics: boolean) {
  const master = await benchMaster({ tls });
  const { tokens } = await createNodes(master, agents, 'memory');
  await sleep(2_000);
  const before = await settledMemory();
  const swarm = await externalSwarm(
    master.agentUrl,
    tokens,
    0,
    metrics ? { intervalMs: 5_000, perFrame: 1 } : undefined,
  );
  while (master.gateway.connectedCount < agents) await sleep(200);
  // Several sample intervals, so live rings and rollup buffers hold what they hold in steady state.
  await sleep(metrics ? 40_000 : 15_000);
  const after = await settledMemory();
  await swarm.stop();
  await master.stop();
  const per = (key: 'rss' | 'heapUsed' | 'external') => Number(((after[key] - before[key]) / agents / KiB).toFixed(1));
  return { rssKiB: per('rss'), heapKiB: per('heapUsed'), externalKiB: per('external') };
}

const VARIANTS = {
  'TLS, idle (heartbeats only)': { tls: true, metrics: false },
  'plain ws, idle': { tls: false, metrics: false },
  'TLS, a sample every 5 s': { tls: true, metrics: true },
};
type Variant = keyof typeof VARIANTS;

export async function runMemoryBenchmarks(agents = 5_000) {
  const rows = [];
  for (const variant of Object.keys(VARIANTS)) {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', import.meta.filename, '--variant', variant, '--agents', String(agents)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 },
    );
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    if (child.status !== 0 || !line.startsWith('{')) throw new Error(`memory variant "${variant}" failed`);
    rows.push({ variant, agents, ...JSON.parse(line), target: '≤ 32 KiB RSS per agent' });
  }
  console.table(rows);
  saveResult('memory', rows);
  return rows;
}

const variantFlag = process.argv.indexOf('--variant');
if (variantFlag >= 0) {
  const variant = VARIANTS[process.argv[variantFlag + 1] as Variant];
  const agents = Number(process.argv[process.argv.indexOf('--agents') + 1]);
  console.log(JSON.stringify(await perAgent(agents, variant.tls, variant.metrics)));
  process.exit(0);
}
