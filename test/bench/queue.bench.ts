// Queue benchmarks: dispatch latency at a fixed rate, end-to-end throughput, fan-out to 1,000 agents,
// each next to its ceiling (raw batched SQLite inserts with the same durability).

import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { type Caller, desktopCaller } from '../../main/contract/caller.js';
import type { Handlers } from '../../main/contract/contract.js';
import { invoke } from '../../main/contract/dispatch.js';
import type { Master } from '../../main/core/master.js';
import {
  benchMaster,
  countStatus,
  createNodes,
  echoPeer,
  externalSwarm,
  median,
  paced,
  percentile,
  saveResult,
  sleep,
  trueCommand,
} from './harness.js';

const command = trueCommand;

async function withFleet<T>(nodes: number, run: (master: Master, ids: string[]) => Promise<T>): Promise<T> {
  const master = await benchMaster();
  const { ids, tokens } = await createNodes(master, nodes, 'q');
  const swarm = await externalSwarm(master.agentUrl, tokens);
  await sleep(500);
  try {
    return await run(master, ids);
  } finally {
    await swarm.stop();
    await master.stop();
  }
}

/** enqueue → running (the agent's start committed), one command per enqueue call, at `rate`/s. */
export async function dispatchLatency(rate = 1_000, seconds = 5, nodes = 100) {
  return withFleet(nodes, async (master, ids) => {
    const enqueuedAt = new Map<string, number>();
    const running = countStatus(master, 'running');
    const dispatched = countStatus(master, 'dispatched');
    const total = rate * seconds;
    await paced(rate, total, (i) => {
      const t = performance.now();
      void master.queue.enqueue([command(ids[i % ids.length] as string)]).then(([row]) => {
        if (row) enqueuedAt.set(row.id, t);
      });
    });
    await running.waitFor(total);
    running.stop();
    dispatched.stop();
    const sorted = (f: (id: string, t: number) => number) =>
      [...enqueuedAt].map(([id, t]) => f(id, t)).sort((a, b) => a - b);
    const latencies = sorted((id, t) => (running.times.get(id) as number) - t);
    const toDispatch = sorted((id, t) => (dispatched.times.get(id) as number) - t);
    const toRunning = sorted((id) => (running.times.get(id) as number) - (dispatched.times.get(id) as number));
    return {
      rate,
      commands: total,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1),
      enqueueToDispatchP50Ms: percentile(toDispatch, 50),
      enqueueToDispatchP99Ms: percentile(toDispatch, 99),
      dispatchToRunningP50Ms: percentile(toRunning, 50),
      dispatchToRunningP99Ms: percentile(toRunning, 99),
    };
  });
}

/** Commands/s from enqueue to a committed result, enqueued as API-sized batches of 500. */
export async function throughput(commands = 20_000, nodes = 100) {
  return withFleet(nodes, async (master, ids) => {
    const done = countStatus(master, 'succeeded');
    const start = performance.now();
    for (let i = 0; i < commands; i += 500) {
      await master.queue.enqueue(Array.from({ length: 500 }, (_x, j) => command(ids[(i + j) % ids.length] as string)));
    }
    await done.waitFor(commands);
    const seconds = (performance.now() - start) / 1000;
    done.stop();
    return { commands, nodes, seconds, commandsPerSec: commands / seconds };
  });
}

/** One command to 1,000 connected agents until every result is committed. */
export async function fanOut(nodes = 1_000, trials = 5) {
  return withFleet(nodes, async (master, ids) => {
    const times: number[] = [];
    for (let t = 0; t < trials; t++) {
      const done = countStatus(master, 'succeeded');
      const start = performance.now();
      await master.queue.enqueue(ids.map(command));
      await done.waitFor(nodes);
      times.push(performance.now() - start);
      done.stop();
      await sleep(200);
    }
    times.sort((a, b) => a - b);
    return { nodes, trials, medianMs: percentile(times, 50), bestMs: times[0], worstMs: times.at(-1) };
  });
}

/** Ceiling: the same row shape inserted in batches of 500 with WAL + synchronous=FULL. */
export function sqliteCeiling(rows = 20_000) {
  const db = new Sqlite(join(mkdtempSync(join(os.tmpdir(), 'fleetdeck-ceiling-')), 'c.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table t (id text primary key, node_id text, payload text, status text, created_at integer)');
  const insert = db.prepare('insert into t values (?, ?, ?, ?, ?)');
  const batch = db.transaction((start: number) => {
    for (let i = start; i < start + 500; i++)
      insert.run(`id-${i}`, 'node', '{"command":"true"}', 'pending', Date.now());
  });
  const single = db.transaction((i: number) =>
    insert.run(`s-${i}`, 'node', '{"command":"true"}', 'pending', Date.now()),
  );
  let start = performance.now();
  for (let i = 0; i < rows; i += 500) batch(i);
  const batchedPerSec = rows / ((performance.now() - start) / 1000);
  start = performance.now();
  for (let i = 0; i < 2_000; i++) single(i);
  const commitsPerSec = 2_000 / ((performance.now() - start) / 1000);
  db.close();
  return { rows, batchedRowsPerSec: batchedPerSec, singleRowCommitsPerSec: commitsPerSec };
}

/** Ceiling for dispatch latency: raw ws round trips to another process at the same rate. */
export async function wsRoundTripCeiling(rate = 1_000, seconds = 5) {
  const { socket, stop } = await echoPeer();
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  socket.on('message', (data) => {
    const n = Number(data.toString().slice(0, 12));
    rtts.push(performance.now() - (sentAt.get(n) as number));
  });
  const total = rate * seconds;
  const began = performance.now();
  let sent = 0;
  const padding = 'x'.repeat(200);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * rate));
      for (; sent < due; sent++) {
        sentAt.set(sent, performance.now());
        socket.send(`${String(sent).padStart(12, '0')}${padding}`);
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  while (rtts.length < total) await sleep(5);
  stop();
  rtts.sort((a, b) => a - b);
  return { rate, p50Ms: percentile(rtts, 50), p99Ms: percentile(rtts, 99) };
}

/**
 * The disk's commit tail: single-row durable commits paced at 1,000/s for 5 s, each timed. Every
 * command in flight while one of these stalls waits for it, whatever the queue does.
 */
export async function commitLatencyCeiling(rate = 1_000, seconds = 5) {
  const db = new Sqlite(join(mkdtempSync(join(os.tmpdir(), 'fleetdeck-commit-tail-')), 'c.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table t (id integer primary key, payload text)');
  const insert = db.prepare('insert into t (payload) values (?)');
  const times: number[] = [];
  await paced(rate, rate * seconds, () => {
    const start = performance.now();
    insert.run('{"command":"true"}');
    times.push(performance.now() - start);
  });
  db.close();
  times.sort((a, b) => a - b);
  return {
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    p999Ms: percentile(times, 99.9),
    maxMs: times.at(-1) ?? 0,
  };
}

/** An operator of the bench's own label: every enqueue goes through the label-scoped check. */
const scopedOperator: Caller = {
  ...desktopCaller,
  kind: 'user',
  name: 'bench',
  grants: [{ role: 'operator', selector: [['bench', 'q']] }],
};

/**
 * The authorization check on (an operator with a label selector, through the guard and the dispatch
 * every transport uses) vs off (the same dispatch, handlers without the guard): enqueue→running
 * p50 at a fixed rate, and commands/s in fan-outs to every node (100 by default).
 */
export async function authorizationCost(
  options: { rate?: number; seconds?: number; commands?: number; nodes?: number } = {},
) {
  const { rate = 1_000, seconds = 5, commands = 20_000, nodes = 100 } = options;
  const variant = (checked: boolean) =>
    withFleet(nodes, async (master, ids) => {
      // Only the guard differs: the audit log's wrapper (it writes an entry in the enqueue's commit) is
      // left out of both, so the figures are the authorization check's alone.
      const unguarded = master.unguardedHandlers();
      const handlers: Handlers = checked ? master.access.authorizer.guard(unguarded) : unguarded;
      const caller = checked ? scopedOperator : desktopCaller;
      const enqueue = (nodeIds: string[]) =>
        invoke(handlers, 'enqueueCommands', { nodeIds, exec: { command: 'true' } }, caller) as Promise<{
          commands: Array<{ id: string }>;
        }>;
      // Dispatch latency at `rate`/s, one node per call.
      const enqueuedAt = new Map<string, number>();
      const running = countStatus(master, 'running');
      const done = countStatus(master, 'succeeded');
      await paced(rate, rate * seconds, (i) => {
        const t = performance.now();
        void enqueue([ids[i % ids.length] as string]).then(({ commands: [row] }) => {
          if (row) enqueuedAt.set(row.id, t);
        });
      });
      await running.waitFor(rate * seconds);
      running.stop();
      const latencies = [...enqueuedAt].map(([id, t]) => (running.times.get(id) as number) - t).sort((a, b) => a - b);
      // Throughput, once the latency phase's commands are all done.
      await done.waitFor(rate * seconds);
      const before = rate * seconds;
      const start = performance.now();
      // A fan-out makes one command per node named (duplicates collapse): each call names every node.
      for (let i = 0; i < commands; i += ids.length) await enqueue(ids);
      await done.waitFor(before + commands);
      const tputSeconds = (performance.now() - start) / 1000;
      done.stop();
      return {
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        commandsPerSec: commands / tputSeconds,
      };
    });
  const off = await variant(false);
  const on = await variant(true);
  return {
    off,
    on,
    commandsPerSecDrop: 1 - on.commandsPerSec / off.commandsPerSec,
    dispatchP50AddedMs: on.p50Ms - off.p50Ms,
  };
}

function printAuthorization(auth: Awaited<ReturnType<typeof authorizationCost>>) {
  console.table({
    'authorization off: dispatch p50 ms / commands/s': `${auth.off.p50Ms.toFixed(2)} / ${Math.round(auth.off.commandsPerSec)}`,
    'authorization on (scoped operator): dispatch p50 ms / commands/s': `${auth.on.p50Ms.toFixed(2)} / ${Math.round(auth.on.commandsPerSec)}`,
    'commands/s drop (target ≤ 5 %)': `${(auth.commandsPerSecDrop * 100).toFixed(1)} %`,
    'dispatch p50 added ms (target ≤ 0.2)': auth.dispatchP50AddedMs.toFixed(3),
  });
}

export async function runQueueBenchmarks() {
  // `npm run bench -- queue --auth-only [--smoke]`: only the authorization variant (--smoke: tiny sizes).
  if (process.argv.includes('--auth-only')) {
    const smoke = process.argv.includes('--smoke');
    const auth = await authorizationCost(smoke ? { rate: 200, seconds: 1, commands: 1_000, nodes: 10 } : {});
    saveResult(smoke ? 'queue-auth-smoke' : 'queue-auth', auth);
    printAuthorization(auth);
    return auth;
  }
  const ceiling = sqliteCeiling();
  const commitTail = await commitLatencyCeiling();
  const wsCeiling = await wsRoundTripCeiling();
  const runs = [await dispatchLatency(), await dispatchLatency(), await dispatchLatency()];
  const latency = {
    rate: 1_000,
    runs: runs.length,
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
  };
  const tput = await throughput();
  const fan = await fanOut();
  const authorization = await authorizationCost();
  const result = {
    ceiling,
    commitTail,
    wsCeiling,
    latency,
    latencyRuns: runs,
    throughput: tput,
    fanOut: fan,
    authorization,
  };
  saveResult('queue', result);
  console.table({
    'sqlite ceiling, batched rows/s': Math.round(ceiling.batchedRowsPerSec),
    'sqlite ceiling, single-row commits/s': Math.round(ceiling.singleRowCommitsPerSec),
    'sqlite single commit p50 / p99 / p99.9 / max ms @1000/s': [
      commitTail.p50Ms,
      commitTail.p99Ms,
      commitTail.p999Ms,
      commitTail.maxMs,
    ]
      .map((v) => v.toFixed(2))
      .join(' / '),
    'raw ws round trip p50 / p99 ms @1000/s': `${wsCeiling.p50Ms.toFixed(2)} / ${wsCeiling.p99Ms.toFixed(2)}`,
    'dispatch enqueue→running p50 ms @1000/s (median of 3)': latency.p50Ms.toFixed(2),
    'dispatch enqueue→running p99 ms @1000/s (median of 3)': latency.p99Ms.toFixed(2),
    'end-to-end commands/s': Math.round(tput.commandsPerSec),
    'end-to-end / sqlite batched ceiling': (tput.commandsPerSec / ceiling.batchedRowsPerSec).toFixed(3),
    'fan-out to 1000, median ms': fan.medianMs.toFixed(0),
  });
  printAuthorization(authorization);
  return result;
}
