// Tasks, schedules and fan-out, against a real master. The 200-node fan-out uses the simulated
// fleet (real sockets and protocol, no real processes: 200 agent processes do not fit this machine).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf } from '../../main/contract/contract.js';
import { Swarm } from '../bench/swarm.js';
import { createNode, type MasterHandle, startMaster, waitFor, waitForStatus } from '../helpers/processes.js';

let master: MasterHandle;
const swarms: Swarm[] = [];
beforeAll(async () => {
  master = await startMaster();
});
afterAll(async () => {
  for (const swarm of swarms) swarm.close();
  await master?.proc.stop();
});

async function simulatedNodes(count: number, label: string, reply?: ConstructorParameters<typeof Swarm>[0]['reply']) {
  const tokens: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { status, body } = await master.reply('createNode', { name: `${label}-${i}`, labels: { group: label } });
    if (status !== 201) throw new Error(JSON.stringify(body));
    tokens.push(body.token);
    ids.push(body.node.id);
  }
  const running = new Set<string>();
  let maxRunning = 0;
  const swarm = new Swarm({
    url: master.agentUrl,
    tokens,
    reply: (command, index) => {
      const r = reply?.(command, index) ?? {};
      setTimeout(() => running.delete(command.id), (r.delayMs ?? 0) + 1);
      return r;
    },
    onStarted: (_i, id) => {
      running.add(id);
      maxRunning = Math.max(maxRunning, running.size);
    },
  });
  swarms.push(swarm);
  await swarm.connect();
  return { ids, swarm, maxRunning: () => maxRunning };
}

async function waitForRun(runId: string, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const run = await master.client.getRun({ id: runId });
      return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : null;
    },
    `run ${runId} to finish`,
    timeoutMs,
  );
}

describe('fan-out', () => {
  it('one command to 200 connected agents: one request, 200 results', async () => {
    const fleet = await simulatedNodes(200, 'fan');
    const { status, body } = await master.reply('enqueueCommands', {
      selector: { group: 'fan' },
      exec: { command: 'uptime' },
    });
    expect(status).toBe(201);
    expect(body.commands).toHaveLength(200);
    expect(new Set(body.commands.map((c) => c.nodeId))).toEqual(new Set(fleet.ids));
    await waitFor(
      async () => {
        const done = await Promise.all(
          body.commands.map((c) => master.client.getCommand({ id: c.id }).then((command) => command.status)),
        );
        return done.every((s) => s === 'succeeded');
      },
      'all 200 results',
      20_000,
    );
  });
});

describe('tasks', () => {
  it('runs across nodes within the concurrency limit and reports the aggregate', async () => {
    const fleet = await simulatedNodes(6, 'limited', (_c, index) => ({ delayMs: 150, exitCode: index === 4 ? 1 : 0 }));
    const created = await master.reply('createTask', {
      name: 'limited',
      exec: { command: 'deploy' },
      targets: { selector: { group: 'limited' } },
      concurrency: 2,
    });
    expect(created.status).toBe(201);
    const run = await master.reply('runTask', { id: created.body.id });
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ status: 'running', total: 6, trigger: 'manual' });
    const done = await waitForRun(run.body.id);
    expect(done.status).toBe('failed');
    expect(done.counts).toEqual({ succeeded: 5, failed: 1 });
    expect(fleet.maxRunning()).toBe(2);
    const failed = done.commands?.find((c) => c.id === done.firstFailure);
    expect(failed?.nodeId).toBe(fleet.ids[4]);
    const runs = await master.client.listTaskRuns({ id: created.body.id });
    expect(runs.map((r) => r.id)).toEqual([run.body.id]);
  });

  it('fires on a cron schedule and skips overlapping runs', async () => {
    const { node, token } = await createNode(master, 'scheduled');
    const { startAgent } = await import('../helpers/processes.js');
    const agent = startAgent({ master, token });
    await waitForStatus(master, node.id, 'online');
    const created = await master.reply('createTask', {
      name: 'every second',
      exec: { command: 'sleep 1.5' },
      targets: { nodeIds: [node.id] },
      schedule: '* * * * * *',
      overlap: 'skip',
    });
    expect(created.status).toBe(201);
    expect(created.body.nextRuns).toHaveLength(5);
    const [first, second] = created.body.nextRuns as [number, number];
    expect(second - first).toBe(1000);
    const runs = await waitFor(
      async () => {
        const all = await master.client.listTaskRuns({ id: created.body.id });
        const succeeded = all.filter((r) => r.status === 'succeeded');
        return succeeded.length >= 2 ? all : null;
      },
      'two scheduled runs to succeed',
      15_000,
    );
    expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
    expect(runs.some((r) => r.status === 'skipped')).toBe(true);
    await master.client.updateTask({ id: created.body.id, enabled: false });
    await agent.stop();
  });

  it('refuses bad tasks with clear messages', async () => {
    const cases: Array<[InputOf<'createTask'>, RegExp]> = [
      [
        { name: 'x', exec: { command: 'x' }, targets: { nodeIds: ['local'] }, schedule: 'every tuesday' },
        /does not parse/,
      ],
      [{ name: 'x', exec: { command: 'x' }, targets: { nodeIds: ['ghost'] } }, /Unknown node "ghost"/],
      [{ name: 'x', exec: { command: 'x' }, targets: {} }, /choose target nodes/],
      [{ name: '', exec: { command: 'x' }, targets: { nodeIds: ['local'] } }, /a task needs a name/],
    ];
    for (const [body, message] of cases) {
      const refused = await master.failure('createTask', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.message).toMatch(message);
    }
  });

  it('changes only the fields a PATCH names', async () => {
    const created = await master.reply('createTask', {
      name: 'patchable',
      exec: { command: 'true' },
      targets: { nodeIds: ['local'] },
      timeoutSec: 42,
      overlap: 'queue',
    });
    const patched = await master.client.updateTask({ id: created.body.id, name: 'renamed' });
    expect(patched).toMatchObject({ name: 'renamed', timeoutSec: 42, overlap: 'queue', enabled: true });
    expect((await master.reply('deleteTask', { id: created.body.id })).status).toBe(200);
    expect((await master.failure('getTask', { id: created.body.id })).status).toBe(404);
  });
});
