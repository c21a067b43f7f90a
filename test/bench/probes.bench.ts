// `npm run bench -- probes`: what probes cost. The master: 1,000 probes every 30 s across 1,000
// simulated agents (the swarm, in its own process; each probe runs from 3 of them, so 100 results a
// second arrive as `probe-results` frames and go through validation, the live state, the rollups and
// the quorum on the leader), master CPU and event-loop lag p99 beside the same fleet without probes.
// An agent: one real agent process running 50 probes (TCP and HTTP against servers of this process,
// every 10 s), its CPU and resident memory.
// PROBE_BENCH_NODES, PROBE_BENCH_PROBES, PROBE_BENCH_SECONDS, PROBE_BENCH_AGENT_PROBES scale it down
// for a smoke run.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Master } from '../../main/core/master.js';
import { benchMaster, createNodes, externalSwarm, machine, saveResult, sleep, spawnBenchAgent } from './harness.js';

const NODES = Number(process.env.PROBE_BENCH_NODES ?? 1_000);
const PROBES = Number(process.env.PROBE_BENCH_PROBES ?? 1_000);
const SECONDS = Number(process.env.PROBE_BENCH_SECONDS ?? 60);
const AGENT_PROBES = Number(process.env.PROBE_BENCH_AGENT_PROBES ?? 50);
const VANTAGES_PER_PROBE = 3;
const SAMPLING = { intervalMs: 2_000, perFrame: 2 };

async function measureMaster(withProbes: boolean) {
  const master: Master = await benchMaster({ tls: false });
  const { ids, tokens } = await createNodes(master, NODES, withProbes ? 'p' : 'n');
  if (withProbes) {
    for (let i = 0; i < PROBES; i++) {
      const vantage = Array.from({ length: VANTAGES_PER_PROBE }, (_, k) => ids[(i + k * 7) % ids.length] as string);
      await master.probes.definitions.create({
        name: `probe ${i}`,
        enabled: true,
        target: { kind: 'tcp', host: '127.0.0.1', port: 9 },
        intervalSec: 30,
        timeoutMs: 5_000,
        vantage: { master: false, nodeIds: vantage },
        quorum: 2,
        forSec: 0,
      });
    }
    await master.probes.changed();
  }
  const swarm = await externalSwarm(master.agentUrl, tokens, 0, SAMPLING);
  await sleep(10_000);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rows0 = await rollupRuns(master);
  await sleep(SECONDS * 1000);
  const elapsedSec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lag.disable();
  await master.probes.rollups.flush();
  const runs = (await rollupRuns(master)) - rows0;
  const result = {
    withProbes,
    nodes: NODES,
    probes: withProbes ? PROBES : 0,
    seconds: Math.round(elapsedSec),
    resultsPerSec: Math.round((runs / elapsedSec) * 10) / 10,
    cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1e6 / elapsedSec) * 1000) / 10,
    eventLoopLagP99Ms: Math.max(0, Math.round((lag.percentile(99) / 1e6 - 10) * 10) / 10),
  };
  await swarm.stop();
  await master.stop();
  return result;
}

async function rollupRuns(master: Master): Promise<number> {
  const row = await master.store.db
    .selectFrom('probe_minutes')
    .select((eb) => eb.fn.sum<number>('runs').as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** CPU ticks (user + system) and resident bytes of a process, from /proc. */
function procFigures(pid: number): { ticks: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rssPages = Number(fields[21]);
  return { ticks: Number(fields[11]) + Number(fields[12]), rss: rssPages * 4096 };
}

async function measureAgent() {
  const master = await benchMaster();
  const web = http.createServer((_req, res) => res.end('ok'));
  const tcp = net.createServer((s) => s.end());
  const listen = (s: net.Server) =>
    new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
  const [webPort, tcpPort] = [await listen(web), await listen(tcp)];
  const agent = await spawnBenchAgent(master, 'probing');
  for (let i = 0; i < AGENT_PROBES; i++) {
    await master.probes.definitions.create({
      name: `agent probe ${i}`,
      enabled: true,
      target:
        i % 2 === 0
          ? {
              kind: 'http',
              url: `http://127.0.0.1:${webPort}/`,
              method: 'GET',
              headers: [],
              expectStatus: [],
              invert: false,
              followRedirects: true,
              ignoreTlsErrors: false,
            }
          : { kind: 'tcp', host: '127.0.0.1', port: tcpPort },
      intervalSec: 10,
      timeoutMs: 2_000,
      vantage: { master: false, nodeIds: [agent.nodeId] },
      quorum: 1,
      forSec: 0,
    });
  }
  await master.probes.changed();
  await sleep(15_000);
  const pid = agent.child.pid as number;
  const a = procFigures(pid);
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const b = procFigures(pid);
  const elapsedSec = (performance.now() - t0) / 1000;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const result = {
    probes: AGENT_PROBES,
    seconds: Math.round(elapsedSec),
    // Clock ticks are 1/100 s on Linux.
    cpuPercentOfOneCore: Math.round(((b.ticks - a.ticks) / 100 / elapsedSec) * 1000) / 10,
    rssMiB: Math.round((b.rss / 1048576) * 10) / 10,
    peakRssMiB: Math.round((Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024) * 10) / 10,
  };
  agent.child.kill('SIGTERM');
  web.close();
  tcp.close();
  await master.stop();
  return result;
}

export async function runProbeBenchmarks() {
  const without = await measureMaster(false);
  const withProbes = await measureMaster(true);
  const agent = await measureAgent();
  console.table([
    {
      figure: 'probe results/s',
      'no probes': without.resultsPerSec,
      probes: withProbes.resultsPerSec,
      note: `offered ${(PROBES * VANTAGES_PER_PROBE) / 30}`,
    },
    {
      figure: 'master CPU (% of a core)',
      'no probes': without.cpuPercentOfOneCore,
      probes: withProbes.cpuPercentOfOneCore,
      note: `${NODES} agents, metrics every 2 s`,
    },
    {
      figure: 'event-loop lag p99 (ms)',
      'no probes': without.eventLoopLagP99Ms,
      probes: withProbes.eventLoopLagP99Ms,
      note: '',
    },
  ]);
  console.table([
    {
      'agent probes': agent.probes,
      'agent CPU (% of a core)': agent.cpuPercentOfOneCore,
      'RSS MiB': agent.rssMiB,
      'peak RSS MiB': agent.peakRssMiB,
    },
  ]);
  saveResult('probes', { machine: machine(), without, withProbes, agent });
}
