// Poison frames and sizes (issue 24, items 6 and 7): a fake agent over a real socket sends what no host
// can report — a 1e308 load, t = 1 beside t = 2^53 - 1, a century of uptime with 9 PB on its counters,
// command times of 1e300 — while honest agents report beside it, on a shared-mode master (MariaDB, the
// metrics spool). Counted: honest nodes whose rollups stopped, bytes invented, a poisoned result the
// master retries, a 1.5 MiB output that never finishes, and a stuck spool health calls ok. Needs MariaDB
// at 127.0.0.1:3306; without it the rows are reported as skipped (value NaN). The `before` figures are
// this attack run against the code before the fixes (8912c41).

import pino from 'pino';
import { MAX_OUTPUT_LIMIT } from '../../../agent/protocol.js';
import { desktopCaller } from '../../../main/contract/caller.js';
import { invoke } from '../../../main/contract/dispatch.js';
import { Master } from '../../../main/core/master.js';
import { freshMariadb } from '../../helpers/databases.js';
import { tempDir, waitFor } from '../../helpers/processes.js';
import { RawAgent, resultOf } from '../../helpers/raw-agent.js';
import type { Attack, AttackRow } from './report.js';

const HONEST_NODES = 5;
const FRAMES = 6;
const NINE_PB = 9e15;

interface Credentials {
  node: { id: string };
  token: string;
}
type Call = <T>(name: Parameters<typeof invoke>[1], input: unknown) => Promise<T>;

const skipped = (): AttackRow[] =>
  [
    ['poison frames: honest nodes whose rollups stopped', 'nodes', HONEST_NODES, '0'],
    ['poison frames: traffic invented by a century of uptime', 'bytes', NINE_PB, '0'],
    ['poison frames: a 1e300 result retried by the master', 'retries logged', 2, '0'],
    ['poison frames: 1.5 MiB output not finished', 'commands', 1, '0'],
    ['poison frames: spool stuck while health says ok', 'stuck + ok', 1, '0'],
  ].map(([attack, measure, before, target]) => ({
    attack: `${attack} (no MariaDB)`,
    measure: measure as string,
    value: Number.NaN,
    before: before as number,
    target: target as string,
    ok: false,
  }));

function sample(t: number, uptimeSec: number, rx: number, load = 0.5) {
  return {
    t,
    bootId: 'boot-1',
    uptimeSec,
    cpu: null,
    load: [load, load, load],
    memory: null,
    swap: null,
    disks: null,
    diskIo: null,
    net: [{ name: 'eth0', rxBytes: rx, txBytes: 0, rxPackets: 0, txPackets: 0, speedMbps: null }],
    connections: null,
    processes: 10,
  };
}
const frame = (...samples: unknown[]) => ({ type: 'metrics', intervalMs: 1_000, samples });

export const poisonFrameAttack: Attack = async () => {
  const db = await freshMariadb().catch(() => null);
  if (!db) return skipped();
  const stops: Array<() => Promise<void>> = [async () => db.drop()];
  // Counts the master's "could not record … retrying" lines: a report the database refuses every time.
  let retries = 0;
  const countRetries = (line: string) => {
    if (line.includes('could not record')) retries++;
  };
  const log = pino({ level: 'warn' }, { write: countRetries });
  try {
    const master = await Master.start({
      dataDir: tempDir('fleetdeck-poison-'),
      agentListen: { host: '127.0.0.1', port: 0 },
      agentTls: true,
      log,
      dbUrl: db.url,
      metrics: { flushIntervalMs: 1_000 },
    });
    stops.push(() => master.stop());
    const call: Call = (name, input) => invoke(master.handlers(), name, input, desktopCaller) as never;
    const connect = async (name: string) => {
      const { node, token } = await call<Credentials>('createNode', { name });
      const agent = await RawAgent.connect(master, token, (ws) => stops.push(async () => ws.terminate()));
      return { id: node.id, agent };
    };
    const honest = await Promise.all(Array.from({ length: HONEST_NODES }, (_, i) => connect(`honest-${i}`)));
    const poisoner = await connect('poisoner');

    const start = Date.now();
    for (let i = 0; i < FRAMES; i++) {
      const t = Date.now();
      for (const h of honest) h.agent.send(frame(sample(t, 1_000 + (t - start) / 1000, i * 1_000)));
      poisoner.agent.send(frame(poisonSample(i, t, start)));
      if (i === 2) poisoner.agent.send(frame(sample(1, 1_003, 0), sample(2 ** 53 - 1, 1_004, 0)));
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const results = await commandAttacks(call, poisoner);
    await new Promise((r) => setTimeout(r, 3_000)); // three more flushes
    const health = await call<{ ok: boolean; metricsSpool: { batches: number } | null }>('health', {});

    // Every honest sample must be in the database; a node short of them stopped being written.
    const stored = new Map<string, number>();
    for (const r of await master.store.db.selectFrom('metric_minutes').select(['node_id', 'samples']).execute()) {
      stored.set(r.node_id, (stored.get(r.node_id) ?? 0) + Number(r.samples));
    }
    const stopped = honest.filter((h) => (stored.get(h.id) ?? 0) < FRAMES).length;
    const invented = (
      await master.store.db.selectFrom('traffic_days').select('rx_bytes').where('node_id', '=', poisoner.id).execute()
    ).reduce((sum, r) => sum + Number(r.rx_bytes), master.metrics.totals(poisoner.id).rx);
    const stuckAndOk = (health.metricsSpool?.batches ?? 0) > 1 && health.ok ? 1 : 0;
    return [
      row('poison frames: honest nodes whose rollups stopped', 'nodes', stopped, HONEST_NODES, '0', stopped === 0),
      row('poison frames: traffic invented by a century of uptime', 'bytes', invented, NINE_PB, '0', invented === 0),
      row('poison frames: a 1e300 result retried by the master', 'retries logged', retries, 2, '0', retries === 0),
      row('poison frames: 1.5 MiB output not finished', 'commands', results.bigStuck, 1, '0', results.bigStuck === 0),
      row('poison frames: spool stuck while health says ok', 'stuck + ok', stuckAndOk, 1, '0', stuckAndOk === 0),
    ];
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
};

/** Frame i of the poisoner: an honest start, then a 1e308 load, then a century of uptime with 9 PB. */
function poisonSample(i: number, t: number, start: number) {
  const uptime = 1_000 + (t - start) / 1000;
  if (i === 0) return sample(t, uptime, 0);
  if (i === 1 || i === 2) return sample(t, uptime, 0, 1e308);
  if (i === 3) return sample(t, 100 * 365.25 * 86_400, NINE_PB); // the schema's ceiling, still 9 PB
  return sample(t, 1e15, 2 * NINE_PB); // beyond the ceiling
}

/** A start and result of 1e300, and a result carrying 1.5 MiB of output. */
async function commandAttacks(call: Call, poisoner: { id: string; agent: RawAgent }) {
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const { commands } = await call<{ commands: Array<{ id: string }> }>('enqueueCommands', {
      nodeIds: [poisoner.id],
      exec: { command: 'true' },
    });
    ids.push(...commands.map((c) => c.id));
  }
  const [poisoned, big] = ids as [string, string];
  await waitFor(
    () => ids.every((id) => poisoner.agent.commandIds().includes(id)),
    'the commands at the poisoner',
    20_000,
  );
  const bad = resultOf(poisoned);
  poisoner.agent.send({ type: 'started', id: poisoned, at: 1e300 });
  poisoner.agent.send({ ...bad, result: { ...bad.result, startedAt: 1e300, finishedAt: 1e300 } });
  const large = resultOf(big);
  poisoner.agent.send({ ...large, result: { ...large.result, stdout: 'o'.repeat(MAX_OUTPUT_LIMIT) } });
  const terminal = async (id: string) =>
    ['succeeded', 'failed'].includes((await call<{ status: string }>('getCommand', { id })).status);
  await waitFor(() => terminal(big), 'the large result', 10_000).catch(() => undefined);
  return { bigStuck: (await terminal(big)) ? 0 : 1 };
}

function row(attack: string, measure: string, value: number, before: number, target: string, ok: boolean): AttackRow {
  return { attack, measure, value, before, target, ok };
}
