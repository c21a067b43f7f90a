// `npm run soak -- --minutes N [--agents N]`: the fleet at target load for N minutes — simulated agents
// sending samples every 5 s, a command fan-out to 100 of them every 10 s — reporting the master's RSS,
// heap, WAL size and event-loop lag over time. Flat lines mean no leak; the WAL stays bounded when
// checkpoints keep up. Results go to bench-results/soak.json.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { benchMaster, createNodes, externalSwarm, saveResult, sleep, trueCommand } from './harness.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} needs a positive number`);
    process.exit(2);
  }
  return value;
}

const minutes = flag('minutes', 30);
const agents = flag('agents', 10_000);
const MiB = 1024 * 1024;

const master = await benchMaster();
const { ids, tokens } = await createNodes(master, agents, 'soak');
const swarm = await externalSwarm(master.agentUrl, tokens, 0, { intervalMs: 5_000, perFrame: 1 });
const command = (nodeId: string) => ({ ...trueCommand(nodeId), outputLimit: 64 * 1024 });
let errors = 0;
let fanOuts = 0;
const load = setInterval(() => {
  const start = (fanOuts * 100) % ids.length;
  fanOuts += 1;
  master.queue.enqueue(ids.slice(start, start + 100).map(command)).catch(() => {
    errors += 1;
  });
}, 10_000);
const wal = join(master.options.dataDir, 'fleetdeck.db-wal');
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const rows: Array<Record<string, number>> = [];
const began = Date.now();
console.log(`soak: ${agents} agents for ${minutes} min`);
while (Date.now() - began < minutes * 60_000) {
  await sleep(30_000);
  const mem = process.memoryUsage();
  const row = {
    minute: Math.round((Date.now() - began) / 6_000) / 10,
    rssMiB: Math.round(mem.rss / MiB),
    heapMiB: Math.round(mem.heapUsed / MiB),
    walMiB: existsSync(wal) ? Math.round((statSync(wal).size / MiB) * 10) / 10 : 0,
    lagP99Ms: Math.round(Math.max(0, lag.percentile(99) / 1e6 - 10)),
    agents: master.gateway.connectedCount,
    samples: master.metrics.samplesIngested,
    errors,
  };
  lag.reset();
  rows.push(row);
  console.log(JSON.stringify(row));
}
clearInterval(load);
console.table(rows);
const first = rows[Math.min(2, rows.length - 1)] as Record<string, number>;
const last = rows[rows.length - 1] as Record<string, number>;
console.log(
  `RSS ${first.rssMiB} → ${last.rssMiB} MiB, heap ${first.heapMiB} → ${last.heapMiB} MiB (from minute ${first.minute}), WAL max ${Math.max(...rows.map((r) => r.walMiB as number))} MiB, errors ${errors}`,
);
saveResult('soak', { minutes, agents, rows });
await swarm.stop();
await master.stop();
process.exit(0);
