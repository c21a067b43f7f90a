// Shared-mode benchmarks on the real MariaDB: dispatch latency at 200 commands/s on one instance,
// batched commands/s, and cross-instance dispatch (enqueued on A, agents on B), measured on A's bus
// (so including the event relay back to A) and on B's — with wake-ups (cluster/wakeups.ts) and, in
// the same run, without them (B finds the commands by its 100 ms poll, as before wake-ups).
// `npm run bench -- cluster --cross-only` runs only the two cross-instance runs.
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

async function sharedMaster(dbUrl: string, wakeups = true): Promise<Master> {
  return Master.start({
    dataDir: mkdtempSync(join(os.tmpdir(), 'fleetdeck-bench-')),
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: true,
    dbUrl,
    adminToken: 'bench-admin-token-0123456789',
    crossInstance: { wakeups },
    log: silentLogger,
  });
}

/** Enqueued on a fresh A (with or without wake-ups) for B's agents; seen running on B and on A. */
async function crossInstance(dbUrl: string, b: Master, ids: string[], wakeups: boolean, seconds: number) {
  const a = await sharedMaster(dbUrl, wakeups);
  try {
    await sleep(1_000);
    const [seenOnB, seenOnA] = await latencyAt(a, [b, a], ids, 200, seconds);
    return { seenOnB, seenOnA };
  } finally {
    await a.stop();
  }
}

const figure = (f: { p50Ms: number; p99Ms: number } | undefined) => `${f?.p50Ms.toFixed(1)} / ${f?.p99Ms.toFixed(1)}`;

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

export async function runClusterBenchmarks(options: { crossOnly?: boolean } = {}) {
  const db = await freshMariadb();
  const floor = options.crossOnly ? null : await twoCommitsAndHopFloor(db.url, 200, 10);
  // One instance alone for its own dispatch latency (a second one in this process would share its
  // event loop, which no deployment does); A joins for the cross-instance figures.
  const b = await sharedMaster(db.url);
  const { ids, tokens } = await createNodes(b, 100, 'c');
  const swarm = await externalSwarm(b.agentUrl, tokens);
  await sleep(1_000);
  try {
    const [local] = options.crossOnly ? [] : await latencyAt(b, [b], ids, 200, 10);
    // Today's path and the wake-ups, one after the other on the same B and agents.
    const polled = await crossInstance(db.url, b, ids, false, 10);
    const woken = await crossInstance(db.url, b, ids, true, 10);
    let perSec: number | null = null;
    if (!options.crossOnly) {
      const done = countStatus(b, 'succeeded');
      const start = performance.now();
      const n = 10_000;
      for (let i = 0; i < n; i += 500) {
        await b.queue.enqueue(Array.from({ length: 500 }, (_x, j) => command(ids[(i + j) % ids.length] as string)));
      }
      await done.waitFor(n, 120_000);
      perSec = n / ((performance.now() - start) / 1000);
      done.stop();
    }
    const rows = [
      ...(options.crossOnly
        ? []
        : [
            { figure: 'MariaDB dispatch latency at 200/s, p50 / p99 (ms)', value: figure(local), target: '≤ 5 / ≤ 25' },
            {
              figure: 'floor: autocommit insert + raw ws round trip + autocommit update at 200/s, p50 / p99 (ms)',
              value: figure(floor ?? undefined),
              target: '',
            },
            { figure: 'MariaDB commands/s (batches of 500)', value: Math.round(perSec ?? 0), target: '≥ 1,000' },
          ]),
      {
        figure: 'cross-instance, 100 ms poll only (before): enqueued on A → running on B, p50 / p99 (ms)',
        value: figure(polled.seenOnB),
        target: '',
      },
      {
        figure: 'cross-instance, wake-ups: enqueued on A → running on B, p50 / p99 (ms)',
        value: figure(woken.seenOnB),
        target: 'p99 ≤ 50',
      },
      {
        figure: "cross-instance, wake-ups: … → A's subscribers see running, p50 / p99 (ms)",
        value: figure(woken.seenOnA),
        target: '',
      },
    ];
    console.table(rows);
    saveResult('cluster', {
      local,
      floor,
      throughputPerSec: perSec,
      crossInstance: { polled, woken, ratioP99: (woken.seenOnB?.p99Ms ?? 0) / (polled.seenOnB?.p99Ms ?? 1) },
    });
  } finally {
    await swarm.stop();
    await b.stop();
    await db.drop();
  }
}
