import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Sqlite from 'better-sqlite3';
import { MetricsMessage, parseFrame } from '../../agent/protocol.js';
import { account, type Baseline } from '../../main/core/metrics/accounting.js';
import { benchMaster, createNodes, externalSwarm, median, saveResult, sleep, spawnBenchAgent } from './harness.js';

const MiB = 1024 * 1024;

/** One frame as the swarm sends it (4 samples at 1 s), for the parse ceiling. */
function sampleFrame(index: number): string {
  const samples = [0, 1, 2, 3].map((k) => {
    const uptimeSec = 86_400 + k;
    const j = uptimeSec * 100;
    return {
      t: Date.now() - (3 - k) * 1000,
      bootId: `sim-boot-${index}`,
      uptimeSec,
      cpu: {
        source: 'proc',
        total: [j, 0, j / 2, j * 6, 3, 0, 1, 0],
        cores: [
          [j / 2, 0, j / 4, j * 3, 1, 0, 0, 0],
          [j / 2, 0, j / 4, j * 3, 2, 0, 1, 0],
        ],
      },
      load: [0.12, 0.2, 0.18],
      memory: { total: 2e9, available: 1.2e9, used: 8e8, buffers: 5e7, cached: 4e8 },
      swap: { total: 1e9, free: 1e9 },
      disks: [{ mount: '/', fs: 'ext4', total: 5e10, used: 2e10, free: 3e10 }],
      diskIo: { readBytes: j * 10, writeBytes: j * 20, reads: j, writes: j * 2 },
      net: [{ name: 'eth0', rxBytes: j * 1250, txBytes: j * 600, rxPackets: j, txPackets: j, speedMbps: 1000 }],
      connections: { tcp: 12, udp: 2 },
      processes: 140,
    };
  });
  return JSON.stringify({ type: 'metrics', intervalMs: 1000, samples });
}

/** Samples per second one core can parse, validate and account, with nothing else to do. */
function parseCeiling(seconds = 3): number {
  const frames = Array.from({ length: 100 }, (_v, i) => sampleFrame(i));
  let baseline: Baseline | null = null;
  let samples = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (const frame of frames) {
      const parsed = parseFrame(MetricsMessage, frame);
      if (!parsed.ok) throw new Error(parsed.error);
      for (const s of parsed.value.samples) {
        baseline = account(baseline, s)?.baseline ?? baseline;
        samples += 1;
      }
    }
  }
  return samples / seconds;
}

/** Raw better-sqlite3 upserts of `rows` rollup-shaped rows in one transaction, synchronous=FULL. */
function sqliteUpsertCeiling(rows: number): number {
  const db = new Sqlite(join(mkdtempSync(join(os.tmpdir(), 'fleetdeck-ceiling-')), 'c.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'create table r (node_id text, bucket integer, samples integer, rx integer, tx integer, cpu real, primary key (node_id, bucket))',
  );
  const upsert = db.prepare(
    'insert into r values (?, ?, ?, ?, ?, ?) on conflict (node_id, bucket) do update set samples = samples + excluded.samples, rx = rx + excluded.rx, tx = tx + excluded.tx, cpu = cpu + excluded.cpu',
  );
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    db.transaction(() => {
      for (let i = 0; i < rows; i++) upsert.run(`node-${i}`, 1_000 + round, 1, 100, 50, 1.5);
    })();
    times.push(performance.now() - start);
  }
  db.close();
  return median(times);
}

export async function ingest(nodes = 10_000, intervalMs = 1_000, perFrame = 4, seconds = 30) {
  const master = await benchMaster();
  const { tokens } = await createNodes(master, nodes, 'm');
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const swarm = await externalSwarm(master.agentUrl, tokens, 0, { intervalMs, perFrame });
  await sleep(intervalMs * perFrame * 2 + 2_000);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const s0 = master.metrics.samplesIngested;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const ingested = master.metrics.samplesIngested - s0;
  if (ingested === 0) throw new Error('the master ingested no samples: the simulated frames were refused');
  const elapsed = (performance.now() - t0) / 1000;
  lag.disable();
  const rssAfter = process.memoryUsage().rss;
  const heapAfter = process.memoryUsage().heapUsed;
  const flushStart = performance.now();
  await master.metrics.flush();
  const flushMs = performance.now() - flushStart;
  const minuteRows = Number(
    (
      await master.store.db
        .selectFrom('metric_minutes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
    )?.n,
  );
  await swarm.stop();
  await master.stop();
  return {
    nodes,
    intervalMs,
    perFrame,
    offeredPerSec: (nodes * 1000) / intervalMs,
    ingestedPerSec: Math.round(ingested / elapsed),
    eventLoopLagP99Ms: Math.max(0, lag.percentile(99) / 1e6 - 10),
    rssPerNodeKiB: Math.round((rssAfter - rssBefore) / nodes / 1024),
    heapPerNodeKiB: Math.round((heapAfter - heapBefore) / nodes / 1024),
    masterRssMiB: Math.round(rssAfter / MiB),
    lastFlushMs: Math.round(flushMs),
    minuteRowsPersisted: minuteRows,
  };
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** Resident memory in MiB: all of it, and the private (anonymous) part. The rest is the node binary's
 * file-backed pages, shared with every other Node process and reclaimable. */
function rssMiB(pid: number, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): number {
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round((kb / 1024) * 10) / 10;
}

/** The real agent sampling every 2 s against a master: CPU share of one core and RSS. */
export async function agentCost(seconds = 60) {
  const master = await benchMaster();
  const { child } = await spawnBenchAgent(master, 'a', ['--metrics-interval-sec', '2']);
  const pid = child.pid as number;
  await sleep(10_000);
  const ticks0 = cpuTicks(pid);
  const rss: number[] = [];
  const anon: number[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await sleep(5_000);
    rss.push(rssMiB(pid));
    anon.push(rssMiB(pid, 'RssAnon'));
  }
  const cpuPercent = ((cpuTicks(pid) - ticks0) / 100 / seconds) * 100;
  const samples = master.metrics.samplesIngested;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await master.stop();
  return {
    seconds,
    cpuPercentOfOneCore: Math.round(cpuPercent * 100) / 100,
    rssMedianMiB: median(rss),
    rssMaxMiB: Math.max(...rss),
    privateMedianMiB: median(anon),
    samplesReceived: samples,
  };
}

export async function runMetricsBenchmarks() {
  const parse = Math.round(parseCeiling());
  const load = await ingest();
  const upsertMs = sqliteUpsertCeiling(load.nodes);
  const agent = await agentCost();
  const rows = [
    ['samples ingested/s (10k agents, 1 s, rollups on)', load.ingestedPerSec, `offered ${load.offeredPerSec}`],
    ['ceiling: parse+validate+account /s, one core', parse, `ratio ${(load.ingestedPerSec / parse).toFixed(2)}`],
    ['rollup flush, 10k nodes (ms)', load.lastFlushMs, `raw sqlite upsert ${upsertMs.toFixed(0)} ms`],
    ['master event-loop lag p99 (ms)', load.eventLoopLagP99Ms.toFixed(1), ''],
    ['master RSS per node (KiB)', load.rssPerNodeKiB, `heap ${load.heapPerNodeKiB} KiB`],
    ['agent CPU, 2 s sampling (% of a core)', agent.cpuPercentOfOneCore, 'target < 1'],
    ['agent RSS median / max (MiB)', `${agent.rssMedianMiB} / ${agent.rssMaxMiB}`, 'target <= 40'],
    ['agent private memory (RssAnon, MiB)', agent.privateMedianMiB, 'rest: shared node binary pages'],
  ];
  console.table(rows.map(([figure, value, note]) => ({ figure, value, note })));
  saveResult('metrics', { ingest: load, parseCeilingPerSec: parse, sqliteUpsertCeilingMs: upsertMs, agent });
}
