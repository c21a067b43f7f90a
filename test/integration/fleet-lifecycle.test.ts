// FleetDeck issue 15, defects 1, 4 and 5, against a real headless master and real agent processes:
// a revoked node's commands are refused and cancelled; a task run with an offline target ends by its
// deadline, can be cancelled, and healthy targets keep their schedule with the overlap's reason; a
// rotated token reaches the connected agent, is stored atomically, and survives agent restarts, even
// one between receiving it and acknowledging it.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_BUNDLE,
  createNode,
  enqueue,
  type MasterHandle,
  Proc,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForCommand,
  waitForStatus,
} from '../helpers/processes.js';

describe('fleet lifecycle: revoke, task deadlines, token rotation over the channel', () => {
  let master: MasterHandle;
  const procs: Proc[] = [];
  const agent = (...args: Parameters<typeof startAgent>) => {
    const proc = startAgent(...args);
    procs.push(proc);
    return proc;
  };

  beforeAll(async () => {
    master = await startMaster();
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await master?.proc.stop();
  });

  const connectedAfter = async (id: string, since: number, timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const node = await master.client.getNode({ id });
        return node.status === 'online' && (node.connectedSince ?? 0) > since;
      },
      `node ${id} to connect after ${new Date(since).toISOString()}`,
      timeoutMs,
    );

  describe('defect 1: revoke', () => {
    it('cancels the node\'s unfinished commands with "node revoked" and refuses new ones with 409', async () => {
      const { node, token } = await createNode(master, 'revoke-me');
      agent({ master, token, args: ['--max-concurrent-commands', '1'] });
      await waitForStatus(master, node.id, 'online');
      // One runs, one waits behind it in the agent: both unfinished when the node is revoked.
      const [running] = await enqueue(master, { nodeIds: [node.id], exec: { command: 'sleep 30' } });
      const [waiting] = await enqueue(master, { nodeIds: [node.id], exec: { command: 'echo later' } });
      await waitForCommand(master, running?.id as string, 10_000, ['running']);

      const revoked = await master.reply('revokeNode', { id: node.id });
      expect(revoked.status).toBe(200);
      for (const id of [running?.id, waiting?.id]) {
        const command = await waitForCommand(master, id as string, 10_000);
        expect(command.status).toBe('cancelled');
        expect(command.error).toBe('node revoked');
      }
      const refused = await master.failure('enqueueCommands', {
        nodeIds: [node.id],
        exec: { command: 'echo after-revoke' },
      });
      expect(refused.status).toBe(409);
      expect(refused.message).toMatch(/revoke-me.*is revoked/);
      await waitForStatus(master, node.id, 'offline');
    });
  });

  describe('defect 4: task runs never hang', () => {
    it('a run with an offline target ends by its deadline; healthy targets keep their schedule, with the reason', async () => {
      const healthy = await createNode(master, 'web-1');
      const away = await createNode(master, 'web-3');
      agent({ master, token: healthy.token });
      await waitForStatus(master, healthy.node.id, 'online');
      const created = await master.reply('createTask', {
        name: 'every second',
        exec: { command: 'echo tick' },
        targets: { nodeIds: [healthy.node.id, away.node.id] },
        schedule: '* * * * * *',
        overlap: 'skip',
        deadlineSec: 3,
      });
      expect(created.status).toBe(201);
      expect(created.body.deadlineSec).toBe(3);
      const runs = () => master.client.listTaskRuns({ id: created.body.id, limit: 500 });
      // The first run ends once web-3's command expires; later ones ran on web-1 meanwhile.
      const first = await waitFor(
        async () => {
          const all = await runs();
          const oldest = all[all.length - 1];
          return oldest && oldest.status !== 'running' ? oldest : undefined;
        },
        'the first run to end',
        20_000,
      );
      expect(first.status).toBe('failed');
      expect(first.counts).toEqual({ succeeded: 1, expired: 1 });
      const partial = await waitFor(
        async () => (await runs()).find((r) => r.reason?.startsWith('1 target skipped') && r.status === 'succeeded'),
        'a run on the healthy target only',
      );
      expect(partial.reason).toBe('1 target skipped: previous run still has 1 target pending (node web-3 offline)');
      expect(partial.total).toBe(1);
      await master.client.updateTask({ id: created.body.id, enabled: false });
      // Every run ends: none waits forever on the node that never comes.
      await waitFor(async () => (await runs()).every((r) => r.status !== 'running'), 'every run to end', 15_000);
      expect((await runs()).filter((r) => r.status === 'skipped' && r.reason === null)).toEqual([]);
    });

    it('cancels a running run: its commands end cancelled, the run ends cancelled', async () => {
      const away = await createNode(master, 'never-here');
      const task = await master.client.createTask({
        name: 'manual',
        exec: { command: 'true' },
        targets: { nodeIds: [away.node.id] },
      });
      const started = await master.client.runTask({ id: task.id });
      expect(started.status).toBe('running');
      const cancelled = await master.reply('cancelRun', { id: started.id });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect(cancelled.body.reason).toBe('cancelled by an admin');
      expect(cancelled.body.counts).toEqual({ cancelled: 1 });
      const again = await master.failure('cancelRun', { id: started.id });
      expect(again.status).toBe(409);
    });
  });

  describe('defect 5: token rotation over the channel', () => {
    it('a connected agent stores the new token (flag token → state dir) and comes back on it after a restart past the overlap', async () => {
      const { node, token } = await createNode(master, 'rotate-flag');
      const stateDir = tempDir('fleetdeck-rotate-state-');
      const first = agent({ master, token, args: ['--state-dir', stateDir] });
      await waitForStatus(master, node.id, 'online');
      const rotated = await master.reply('rotateNodeToken', { id: node.id, overlapSec: 2 });
      expect(rotated.status).toBe(200);
      expect(rotated.body.delivery).toMatchObject({ status: 'stored', storedIn: 'state-dir' });
      expect(readFileSync(join(stateDir, 'rotated-token.json'), 'utf8')).toContain(rotated.body.token);
      await first.stop();
      const overlapEnd = rotated.body.tokenOverlapUntil as number;
      await waitFor(() => Date.now() > overlapEnd + 200, 'the overlap to end', 5_000);
      // Started exactly as before, with the old token on its command line: the stored one is used.
      const second = agent({ master, token, args: ['--state-dir', stateDir] });
      await connectedAfter(node.id, overlapEnd);
      // Not connected: the result says so, and what to do.
      await second.stop();
      await waitForStatus(master, node.id, 'offline');
      const offline = await master.reply('rotateNodeToken', { id: node.id, overlapSec: 60 });
      expect(offline.body.delivery.status).toBe('not-connected');
      expect(offline.body.delivery.message).toMatch(/give it the new token by hand/);
    });

    it('an agent killed between receiving the token and acknowledging it still comes back with a valid token (token file)', async () => {
      const { node, token } = await createNode(master, 'rotate-file');
      const dir = tempDir('fleetdeck-rotate-file-');
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
      const start = () => {
        const proc = new Proc(
          spawn(
            process.execPath,
            [
              AGENT_BUNDLE,
              '--master',
              master.agentUrl,
              '--token-file',
              tokenFile,
              '--ca-fingerprint',
              master.fingerprint as string,
              '--state-dir',
              join(dir, 'state'),
              '--backoff-base-ms',
              '200',
              '--backoff-max-ms',
              '2000',
            ],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          ),
        );
        procs.push(proc);
        return proc;
      };
      const first = start();
      await waitForStatus(master, node.id, 'online');
      // Frozen before it can act on the token frame, then killed: it never stored nor acknowledged it.
      first.signal('SIGSTOP');
      const rotated = await master.reply('rotateNodeToken', { id: node.id, overlapSec: 15 });
      expect(rotated.body.delivery.status).toBe('unacknowledged');
      first.signal('SIGKILL');
      await first.exited;
      expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);
      // Restarted on the old token inside the overlap: the master offers the new one again.
      const second = start();
      await waitFor(
        () => readFileSync(tokenFile, 'utf8').trim() === rotated.body.token,
        'the token file to be rewritten',
      );
      const overlapEnd = rotated.body.tokenOverlapUntil as number;
      // Past the overlap the old connection is closed; the agent redials on the stored token.
      await connectedAfter(node.id, overlapEnd, 30_000);
      await second.stop();
      const restarted = Date.now();
      start();
      await connectedAfter(node.id, restarted);
    }, 60_000);
  });
});
