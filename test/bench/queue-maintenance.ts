// `npx tsx test/bench/queue-maintenance.ts`: two reads and writes off the queue's hot path, on a SQLite
// file and on MariaDB (when reachable): one sweep that expires SWEEP_N pending commands of a node that
// is away (the sweeper's finishes share one transaction), and a task's run list of 50 runs × 50
// targets with 2 × 16 KiB of output per command (counted in the database, outputs never read).
import { TaskSpec } from '../../main/contract/queue-schemas.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { CommandQueue } from '../../main/core/queue/queue.js';
import type { CommandsTable } from '../../main/core/store/schema.js';
import type { Store } from '../../main/core/store/store.js';
import { TaskService } from '../../main/core/tasks/tasks.js';
import { storeTargets } from '../helpers/databases.js';

const SWEEP_N = Number(process.env.SWEEP_N ?? 5_000);
const RUNS = 50;
const TARGETS = 50;
const OUTPUT = 'y'.repeat(16 * 1024);
const away = { isConnected: () => false, send: () => false };

async function sweepFigure(store: Store): Promise<number> {
  const bus = new EventBus();
  const node = (await new NodeRegistry(store.db, bus).create({ name: 'away' })).node.id;
  let clock = 1_000_000;
  const queue = new CommandQueue(store.db, away, bus, silentLogger, {}, () => clock);
  const command = { nodeId: node, exec: { command: 'true' }, timeoutMs: 1_000, outputLimit: 1024, retry: null };
  for (let i = 0; i < SWEEP_N; i += 1_000) {
    const count = Math.min(1_000, SWEEP_N - i);
    await queue.enqueue(Array.from({ length: count }, () => ({ ...command, deadlineAt: clock + 10 })));
  }
  clock += 1_000;
  const started = performance.now();
  await queue.sweep();
  const ms = performance.now() - started;
  await queue.stop();
  return ms;
}

async function runListFigure(store: Store): Promise<number> {
  const bus = new EventBus();
  const registry = new NodeRegistry(store.db, bus);
  const nodes: string[] = [];
  for (let i = 0; i < TARGETS; i++) nodes.push((await registry.create({ name: `n${i}`, labels: { g: 'x' } })).node.id);
  const queue = new CommandQueue(store.db, away, bus, silentLogger);
  const tasks = new TaskService(store.db, queue, registry, bus, silentLogger);
  const spec = TaskSpec.parse({ name: 't', exec: { command: 'x' }, targets: { selector: { g: 'x' } } });
  const task = await tasks.create(spec);
  for (let r = 0; r < RUNS; r++) {
    const runId = `run_${String(r).padStart(4, '0')}`;
    await store.db
      .insertInto('task_runs')
      .values({
        ...{ id: runId, task_id: task.id, trigger: 'manual', status: 'succeeded', concurrency: null, total: TARGETS },
        ...{ first_failure: null, scheduled_for: null, created_at: r, finished_at: r, reason: null },
        launched_by: null,
      })
      .execute();
    const rows: CommandsTable[] = nodes.map((nodeId, i) => ({
      ...{ id: `cmd_${runId}_${String(i).padStart(4, '0')}`, node_id: nodeId, task_run_id: runId, retry_of: null },
      ...{ kind: 'exec', payload: '{"command":"x"}', status: 'succeeded', attempt: 1, max_attempts: 1 },
      ...{ retry_delay_ms: 0, timeout_ms: 1_000, output_limit: 1 << 20, deadline_at: null, cancel_requested_at: null },
      ...{ created_at: r, dispatched_at: r, started_at: r, finished_at: r, exit_code: 0, signal: null },
      ...{ stdout: OUTPUT, stderr: OUTPUT, truncated: 0, error: null },
      ...{ batch_id: `fan_${runId}`, origin: 'task t (manual)', command_text: 'x', launched_by: null },
    }));
    await store.db.insertInto('commands').values(rows).execute();
  }
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await tasks.runs(task.id, RUNS);
    times.push(performance.now() - started);
  }
  await queue.stop();
  return Math.min(...times);
}

const table: Array<Record<string, string>> = [];
for (const target of storeTargets()) {
  for (const [what, figure] of [
    [`one sweep expiring ${SWEEP_N} commands`, sweepFigure],
    [`run list: ${RUNS} runs × ${TARGETS} targets, 32 KiB output each (best of 3)`, runListFigure],
  ] as const) {
    const { store, cleanup } = await target.open();
    table.push({ database: target.name, what, ms: (await figure(store)).toFixed(0) });
    await cleanup();
  }
}
console.table(table);
process.exit(0);
