// Shared-mode benchmarks on the real MariaDB: dispatch latency at 200 commands/s on one instance,
// batched commands/s, and cross-instance dispatch (enqueued on A, agents on B), measured on A's bus
// (so including the event relay back to A) and on B's.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createPool } from 'mysql2/promise';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { freshMariadb } from '../helpers/databases.js';
import {
  countStatus,
  createNodes,
  echoPeer,
  externalSwarm,
  paced,
  percentile,
  saveResult,
  sleep,
  trueCommand,
} from './harness.js';

const command = trueCommand;

async function sharedMaster(dbUrl: string): Promise<Master> {
  return Master.start({
    dataDir: mkdtempSync(join(os.tmpdir(), 'fleetdeck-bench-')),
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: true,
    dbUrl,
    adminToken: 'bench-admin-token-0123456789',
    log: silentLogger,
  });
}

/** Enqueues one command per call on `via` at `rate`/s; latency to "running" as seen on `observe`. */
async function latencyAt(via: Master, observe: Master[], ids: string[], rate: number, seconds: number) {
  const watchers = observe.map((m) => countStatus(m, 'running'));
  const enqueuedAt = new Map<string, number>();
  const total = rate * seconds;
  await paced(rate, total, (i) => {
    const t = performance.now();
    void via.queue.enqueue([command(ids[i % ids.length] as string)]).then(([row]) => {
      if (row) enqueuedAt.set(row.id, t);
    });
  });
  const out = [];
  for (const w of watchers) {
    await w.waitFor(total, 60_000);
    w.stop();
    const latencies = [...enqueuedAt].map(([id, t]) => (w.times.get(id) as number) - t).sort((a, b) => a - b);
    out.push({ p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) });
  }
  return out;
}

/**
 * The floor of any design that commits twice per command: an autocommit insert, a raw ws round trip
 * to another process, an autocommit update — paced like the latency run, on the same MariaDB.
 */
async function twoCommitsAndHopFloor(dbUrl: string, rate: number, seconds: number) {
  const pool = createPool({ uri: dbUrl, connectionLimit: 10 });
  await pool.query('create table floor_t (id int primary key, status varchar(16))');
  const { socket, stop } = await echoPeer();
  const echoed = new Map<number, () => void>();
  socket.on('message', (data) => echoed.get(Number(data.toString()))?.());
  const times: number[] = [];
  const runs: Promise<void>[] = [];
  await paced(rate, rate * seconds, (i) => {
    runs.push(
      (async () => {
        const start = performance.now();
        await pool.query('insert into floor_t values (?, ?)', [i, 'pending']);
        await new Promise<void>((resolve) => {
          echoed.set(i, resolve);
          socket.send(String(i));
        });
        await pool.query('update floor_t set status = ? where id = ?', ['running', i]);
        times.push(performance.now() - start);
      })(),
    );
  });
  await Promise.all(runs);
  stop();
  await pool.end();
  times.sort((a, b) => a - b);
  return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
}

export async function runClusterBenchmarks() {
  const db = await freshMariadb();
  const floor = await twoCommitsAndHopFloor(db.url, 200, 10);
  // One instance alone for its own dispatch latency (a second one in this process would share its
  // event loop, which no deployment does); A joins for the cross-instance figures.
  const b = await sharedMaster(db.url);
  const { ids, tokens } = await createNodes(b, 100, 'c');
  const swarm = await externalSwarm(b.agentUrl, tokens);
  let a: Master | null = null;
  await sleep(1_000);
  try {
    const [local] = await latencyAt(b, [b], ids, 200, 10);
    a = await sharedMaster(db.url);
    await sleep(1_000);
    const [seenOnB, seenOnA] = await latencyAt(a, [b, a], ids, 200, 10);
    const done = countStatus(b, 'succeeded');
    const start = performance.now();
    const n = 10_000;
    for (let i = 0; i < n; i += 500) {
      await b.queue.enqueue(Array.from({ length: 500 }, (_x, j) => command(ids[(i + j) % ids.length] as string)));
    }
    await done.waitFor(n, 120_000);
    const perSec = n / ((performance.now() - start) / 1000);
    done.stop();
    const rows = [
      {
        figure: 'MariaDB dispatch latency at 200/s, p50 / p99 (ms)',
        value: `${local?.p50Ms.toFixed(1)} / ${local?.p99Ms.toFixed(1)}`,
        target: '≤ 5 / ≤ 25',
      },
      {
        figure: 'floor: autocommit insert + raw ws round trip + autocommit update at 200/s, p50 / p99 (ms)',
        value: `${floor.p50Ms.toFixed(1)} / ${floor.p99Ms.toFixed(1)}`,
        target: '',
      },
      { figure: 'MariaDB commands/s (batches of 500)', value: Math.round(perSec), target: '≥ 1,000' },
      {
        figure: 'cross-instance: enqueued on A → running on B, p50 / p99 (ms)',
        value: `${seenOnB?.p50Ms.toFixed(1)} / ${seenOnB?.p99Ms.toFixed(1)}`,
        target: 'p99 ≤ 250',
      },
      {
        figure: "cross-instance: … → A's subscribers see running, p50 / p99 (ms)",
        value: `${seenOnA?.p50Ms.toFixed(1)} / ${seenOnA?.p99Ms.toFixed(1)}`,
        target: '',
      },
    ];
    console.table(rows);
    saveResult('cluster', { local, floor, throughputPerSec: perSec, crossInstance: { seenOnB, seenOnA } });
  } finally {
    await swarm.stop();
    await a?.stop();
    await b.stop();
    await db.drop();
  }
}
