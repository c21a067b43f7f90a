// A task's run list (TaskService.runs) counts each run's last attempts in the database: a constant
// number of statements however many runs, and no command's stdout/stderr read for it (before: one
// read of the run and one `select *` of all its commands, outputs included, per run).
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CommandResult, MasterMessage } from '../../agent/protocol.js';
import { TaskSpec } from '../../main/contract/queue-schemas.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { CommandQueue } from '../../main/core/queue/queue.js';
import type { Store } from '../../main/core/store/store.js';
import { TaskService } from '../../main/core/tasks/tasks.js';
import { storeTargets } from '../helpers/databases.js';
import { waitFor } from '../helpers/processes.js';

class FakeLinks {
  connected = new Set<string>();
  isConnected = (nodeId: string) => this.connected.has(nodeId);
  send = (nodeId: string, _message: MasterMessage) => this.connected.has(nodeId);
}

const RUNS = 6;
const OUTPUT = 'x'.repeat(64 * 1024);

describe.each(storeTargets())('task run list on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let queue: CommandQueue;
  let tasks: TaskService;
  let taskId: string;
  let clock = 1_000_000;

  const result = (id: string, outcome: CommandResult['outcome']): CommandResult => ({
    id,
    outcome,
    exitCode: outcome === 'succeeded' ? 0 : 1,
    signal: null,
    startedAt: clock,
    finishedAt: clock + 5,
    stdout: OUTPUT,
    stderr: OUTPUT,
    truncated: false,
    error: null,
  });

  /** Runs the task once; on the first node its first attempt fails and the retry succeeds. */
  async function finishedRun(nodes: string[]): Promise<string> {
    const run = await tasks.run(taskId, 'manual');
    const attempts = async () =>
      store.db.selectFrom('commands').selectAll().where('task_run_id', '=', run.id).orderBy('id').execute();
    const first = await attempts();
    for (const row of first) {
      await waitFor(async () => (await queue.get(row.id)).status === 'dispatched', 'dispatch');
      await queue.started(row.node_id, row.id, clock);
      await queue.result(row.node_id, result(row.id, row.node_id === nodes[0] ? 'failed' : 'succeeded'));
    }
    const retry = await waitFor(async () => (await attempts()).find((r) => r.attempt === 2), 'the retry');
    await waitFor(async () => (await queue.get(retry.id)).status === 'dispatched', 'dispatch of the retry');
    await queue.started(retry.node_id, retry.id, clock);
    await queue.result(retry.node_id, result(retry.id, 'succeeded'));
    await waitFor(async () => (await tasks.runView(run.id)).status === 'succeeded', 'the run to end');
    return run.id;
  }

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
    const bus = new EventBus();
    const registry = new NodeRegistry(store.db, bus);
    const links = new FakeLinks();
    const nodes: string[] = [];
    for (const name of ['web-1', 'web-2', 'web-3']) {
      const { node } = await registry.create({ name, labels: { role: 'web' } });
      nodes.push(node.id);
      links.connected.add(node.id);
    }
    queue = new CommandQueue(store.db, links, bus, silentLogger, {}, () => clock);
    tasks = new TaskService(store.db, queue, registry, bus, silentLogger, () => clock);
    const spec = TaskSpec.parse({
      name: 'report',
      exec: { command: 'uptime' },
      targets: { selector: { role: 'web' } },
      retry: { maxAttempts: 2, delaySec: 0 },
    });
    taskId = (await tasks.create(spec)).id;
    for (let i = 0; i < RUNS; i++) {
      await finishedRun(nodes);
      clock += 1_000;
    }
  });
  afterEach(async () => {
    await queue.stop();
    await cleanup();
  });

  it('counts the last attempt per node of every run, newest run first', async () => {
    const runs = await tasks.runs(taskId);
    expect(runs).toHaveLength(RUNS);
    for (const run of runs) {
      expect(run).toMatchObject({ status: 'succeeded', total: 3, counts: { succeeded: 3 } });
      expect(run).not.toHaveProperty('commands');
    }
    expect(runs.map((r) => r.createdAt)).toEqual([...runs.map((r) => r.createdAt)].sort((a, b) => b - a));
    // The same counts as a single run's view with its commands (which does read them all).
    const full = await tasks.runView(runs[0]?.id as string, true);
    expect(full.counts).toEqual(runs[0]?.counts);
    expect(full.commands).toHaveLength(4);
    expect(await tasks.runs(taskId, 2)).toHaveLength(2);
  });

  it.runIf(target.name === 'sqlite')('reads no output and a constant number of statements', async () => {
    // Every read goes through a prepared statement's all() (the store caches statements by text).
    const probe = new Database(':memory:');
    const statementClass = Object.getPrototypeOf(probe.prepare('select 1')) as {
      all(this: { source: string }, ...params: unknown[]): unknown[];
    };
    probe.close();
    const all = vi.spyOn(statementClass, 'all');
    try {
      await tasks.runs(taskId);
      const statements = all.mock.contexts.map((statement) => (statement as { source: string }).source);
      expect(statements.length).toBeGreaterThan(0);
      // The task row, the runs, the counts: not two reads per run.
      expect(statements.length).toBeLessThanOrEqual(3);
      for (const text of statements) {
        expect(text).not.toMatch(/stdout|stderr/);
        expect(text).not.toMatch(/select \* from "commands"/);
      }
    } finally {
      all.mockRestore();
    }
  });
});
