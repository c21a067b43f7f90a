// Tasks, schedules and fan-out, against a real master. The 200-node fan-out uses the simulated
// fleet (real sockets and protocol, no real processes: 200 agent processes do not fit this machine).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Swarm } from '../bench/swarm.js';
import {
  type CommandSummary,
  createNode,
  type MasterHandle,
  startMaster,
  waitFor,
  waitForStatus,
} from '../helpers/processes.js';

let master: MasterHandle;
const swarms: Swarm[] = [];
beforeAll(async () => {
  master = await startMaster();
});
afterAll(async () => {
  for (const swarm of swarms) swarm.close();
  await master?.proc.stop();
});

interface RunSummary {
  id: string;
  status: string;
  total: number;
  counts: Record<string, number>;
  firstFailure: string | null;
  trigger: string;
  commands?: CommandSummary[];
}

async function simulatedNodes(count: number, label: string, reply?: ConstructorParameters<typeof Swarm>[0]['reply']) {
  const tokens: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { status, body } = await master.api<{ node: { id: string }; token: string }>('POST', '/api/nodes', {
      name: `${label}-${i}`,
      labels: { group: label },
    });
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
      const { body } = await master.api<RunSummary>('GET', `/api/runs/${runId}`);
      return ['succeeded', 'failed', 'cancelled'].includes(body.status) ? body : null;
    },
    `run ${runId} to finish`,
    timeoutMs,
  );
}

describe('fan-out', () => {
  it('one command to 200 connected agents: one request, 200 results', async () => {
    const fleet = await simulatedNodes(200, 'fan');
    const { status, body } = await master.api<{ commands: CommandSummary[] }>('POST', '/api/commands', {
      selector: { group: 'fan' },
      exec: { command: 'uptime' },
    });
    expect(status).toBe(201);
    expect(body.commands).toHaveLength(200);
    expect(new Set(body.commands.map((c) => c.nodeId))).toEqual(new Set(fleet.ids));
    await waitFor(
      async () => {
        const done = await Promise.all(
          body.commands.map((c) =>
            master.api<CommandSummary>('GET', `/api/commands/${c.id}`).then((r) => r.body.status),
          ),
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
    const created = await master.api<{ id: string }>('POST', '/api/tasks', {
      name: 'limited',
      exec: { command: 'deploy' },
      targets: { selector: { group: 'limited' } },
      concurrency: 2,
    });
    expect(created.status).toBe(201);
    const run = await master.api<RunSummary>('POST', `/api/tasks/${created.body.id}/run`);
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ status: 'running', total: 6, trigger: 'manual' });
    const done = await waitForRun(run.body.id);
    expect(done.status).toBe('failed');
    expect(done.counts).toEqual({ succeeded: 5, failed: 1 });
    expect(fleet.maxRunning()).toBe(2);
    const failed = done.commands?.find((c) => c.id === done.firstFailure);
    expect(failed?.nodeId).toBe(fleet.ids[4]);
    const runs = await master.api<RunSummary[]>('GET', `/api/tasks/${created.body.id}/runs`);
    expect(runs.body.map((r) => r.id)).toEqual([run.body.id]);
  });

  it('fires on a cron schedule and skips overlapping runs', async () => {
    const { node, token } = await createNode(master, 'scheduled');
    const { startAgent } = await import('../helpers/processes.js');
    const agent = startAgent({ master, token });
    await waitForStatus(master, node.id, 'online');
    const created = await master.api<{ id: string; nextRuns: number[] }>('POST', '/api/tasks', {
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
        const { body } = await master.api<RunSummary[]>('GET', `/api/tasks/${created.body.id}/runs`);
        const succeeded = body.filter((r) => r.status === 'succeeded');
        return succeeded.length >= 2 ? body : null;
      },
      'two scheduled runs to succeed',
      15_000,
    );
    expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
    expect(runs.some((r) => r.status === 'skipped')).toBe(true);
    await master.api('PATCH', `/api/tasks/${created.body.id}`, { enabled: false });
    await agent.stop();
  });

  it('refuses bad tasks with clear messages', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { name: 'x', exec: { command: 'x' }, targets: { nodeIds: ['local'] }, schedule: 'every tuesday' },
        /does not parse/,
      ],
      [{ name: 'x', exec: { command: 'x' }, targets: { nodeIds: ['ghost'] } }, /Unknown node "ghost"/],
      [{ name: 'x', exec: { command: 'x' }, targets: {} }, /choose target nodes/],
      [{ name: '', exec: { command: 'x' }, targets: { nodeIds: ['local'] } }, /a task needs a name/],
    ];
    for (const [body, message] of cases) {
      const response = await master.api<{ error: { message: string } }>('POST', '/api/tasks', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.message).toMatch(message);
    }
  });

  it('changes only the fields a PATCH names', async () => {
    const created = await master.api<{ id: string }>('POST', '/api/tasks', {
      name: 'patchable',
      exec: { command: 'true' },
      targets: { nodeIds: ['local'] },
      timeoutSec: 42,
      overlap: 'queue',
    });
    const patched = await master.api<Record<string, unknown>>('PATCH', `/api/tasks/${created.body.id}`, {
      name: 'renamed',
    });
    expect(patched.body).toMatchObject({ name: 'renamed', timeoutSec: 42, overlap: 'queue', enabled: true });
    expect((await master.api('DELETE', `/api/tasks/${created.body.id}`)).status).toBe(200);
    expect((await master.api('GET', `/api/tasks/${created.body.id}`)).status).toBe(404);
  });
});
