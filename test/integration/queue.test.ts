// The command queue with a real master, real agent processes and real commands.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf } from '../../main/contract/contract.js';
import {
  createNode,
  enqueue,
  getCommand,
  type MasterHandle,
  type Proc,
  pidAlive,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForCommand,
  waitForStatus,
} from '../helpers/processes.js';

let master: MasterHandle;
const procs: Proc[] = [];
const agent = (token: string, args: string[] = []) => {
  const proc = startAgent({ master, token, args });
  procs.push(proc);
  return proc;
};

async function onlineNode(name: string, args: string[] = []) {
  const { node, token } = await createNode(master, name);
  const proc = agent(token, args);
  await waitForStatus(master, node.id, 'online');
  return { id: node.id, token, proc };
}

beforeAll(async () => {
  master = await startMaster();
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await master?.proc.stop();
});

describe('command queue', () => {
  it('runs a command and keeps exit code, output, duration and every transition', async () => {
    const node = await onlineNode('basic');
    const seen: string[] = [];
    const controller = new AbortController();
    const events = fetch(new URL('/api/events', master.adminUrl), {
      headers: { authorization: `Bearer ${master.adminToken}` },
      signal: controller.signal,
    }).then(async (res) => {
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          seen.push(decoder.decode(value));
        }
      } catch {
        // aborted
      }
    });
    await new Promise((r) => setTimeout(r, 100));
    const [command] = await enqueue(master, {
      nodeIds: [node.id],
      exec: { command: 'echo out-$FOO; echo err >&2; cat; exit 7', env: { FOO: 'bar' }, stdin: 'from-stdin\n' },
    });
    if (!command) throw new Error('no command');
    const done = await waitForCommand(master, command.id);
    expect(done).toMatchObject({
      status: 'failed',
      exitCode: 7,
      stdout: 'out-bar\nfrom-stdin\n',
      stderr: 'err\n',
      truncated: false,
    });
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt as number);
    await waitFor(() => seen.join('').includes('"status":"failed"'), 'the failed event');
    controller.abort();
    await events;
    const text = seen.join('');
    for (const status of ['pending', 'dispatched', 'running', 'failed']) {
      expect(text).toMatch(new RegExp(`"id":"${command.id}","nodeId":"[^"]+","status":"${status}"`));
    }
    expect(text).toMatch(/event: commandOutput\ndata: .*out-bar/);
  });

  it('keeps per-node order', async () => {
    const node = await onlineNode('ordered', ['--max-concurrent-commands', '1']);
    const file = join(tempDir(), 'order.txt');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const [c] = await enqueue(master, { nodeIds: [node.id], exec: { command: `echo ${i} >> ${file}` } });
      ids.push(c?.id as string);
    }
    for (const id of ids) await waitForCommand(master, id);
    expect(readFileSync(file, 'utf8').trim().split('\n').map(Number)).toEqual([...Array(20).keys()]);
  });

  it('runs commands concurrently: a long one never blocks short ones', async () => {
    const node = await onlineNode('pool', ['--max-concurrent-commands', '4']);
    const [long] = await enqueue(master, { nodeIds: [node.id], exec: { command: 'sleep 4' } });
    const shorts = [];
    for (let i = 0; i < 3; i++)
      shorts.push(...(await enqueue(master, { nodeIds: [node.id], exec: { command: 'echo quick' } })));
    for (const s of shorts) expect((await waitForCommand(master, s.id, 3_000)).status).toBe('succeeded');
    expect((await getCommand(master, long?.id as string)).status).toBe('running');
    const sleepers = [];
    for (let i = 0; i < 3; i++)
      sleepers.push(...(await enqueue(master, { nodeIds: [node.id], exec: { command: 'sleep 1' } })));
    const finished = await Promise.all(sleepers.map((s) => waitForCommand(master, s.id)));
    const lastStart = Math.max(...finished.map((f) => f.startedAt as number));
    const firstEnd = Math.min(...finished.map((f) => f.finishedAt as number));
    expect(lastStart).toBeLessThan(firstEnd);
  });

  it('a timeout kills the whole process group', async () => {
    const node = await onlineNode('timeouts');
    const pidFile = join(tempDir(), 'child.pid');
    const [c] = await enqueue(master, {
      nodeIds: [node.id],
      exec: { command: `sleep 300 & echo $! > ${pidFile}; sleep 300` },
      timeoutSec: 1,
    });
    const done = await waitForCommand(master, c?.id as string, 10_000);
    expect(done.status).toBe('timed_out');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !pidAlive(grandchild), 'the background child to be killed', 8_000);
  });

  it('cancels a running command and a pending one', async () => {
    const node = await onlineNode('cancel');
    const [running] = await enqueue(master, { nodeIds: [node.id], exec: { command: 'sleep 60' } });
    await waitForCommand(master, running?.id as string, 5_000, ['running']);
    const response = await master.reply('cancelCommand', { id: running?.id as string });
    expect(response.status).toBe(200);
    const done = await waitForCommand(master, running?.id as string, 10_000);
    expect(done).toMatchObject({ status: 'cancelled', signal: 'SIGTERM' });

    const { node: offline } = await createNode(master, 'cancel-offline');
    const [pending] = await enqueue(master, { nodeIds: [offline.id], exec: { command: 'echo never' } });
    const cancelled = await master.client.cancelCommand({ id: pending?.id as string });
    expect(cancelled.status).toBe('cancelled');
    const again = await master.failure('cancelCommand', { id: pending?.id as string });
    expect(again.status).toBe(409);
  });

  it('an offline node gets its commands when it connects; a passed deadline expires them', async () => {
    const { node, token } = await createNode(master, 'late');
    const [waiting] = await enqueue(master, { nodeIds: [node.id], exec: { command: 'echo finally' } });
    const [expiring] = await enqueue(master, {
      nodeIds: [node.id],
      exec: { command: 'echo too-late' },
      deadlineSec: 1,
    });
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await getCommand(master, waiting?.id as string)).status).toBe('pending');
    expect((await getCommand(master, expiring?.id as string)).status).toBe('expired');
    agent(token);
    const done = await waitForCommand(master, waiting?.id as string);
    expect(done).toMatchObject({ status: 'succeeded', stdout: 'finally\n' });
  });

  it('caps stored output with a visible marker', async () => {
    const node = await onlineNode('chatty');
    const [c] = await enqueue(master, {
      nodeIds: [node.id],
      exec: { command: 'head -c 300000 /dev/zero | tr "\\0" "a"' },
      outputLimitBytes: 100_000,
    });
    const done = await waitForCommand(master, c?.id as string);
    expect(done.status).toBe('succeeded');
    expect(done.truncated).toBe(true);
    expect(done.stdout?.startsWith('a'.repeat(100_000))).toBe(true);
    expect(done.stdout).toMatch(/\[fleetdeck: output truncated at 100000 bytes\]/);
    expect((done.stdout as string).length).toBeLessThan(100_100);
  });

  it('an agent started with --no-exec refuses commands clearly', async () => {
    const node = await onlineNode('no-exec', ['--no-exec']);
    const [c] = await enqueue(master, { nodeIds: [node.id], exec: { command: 'echo no' } });
    const done = await waitForCommand(master, c?.id as string);
    expect(done).toMatchObject({ status: 'failed', error: expect.stringMatching(/does not allow commands/) });
  });

  it('rejects bad input with clear messages', async () => {
    const cases: Array<[InputOf<'enqueueCommands'>, RegExp]> = [
      [{ nodeIds: ['nope'], exec: { command: 'x' } }, /Unknown node "nope"/],
      [{ nodeIds: ['local'], exec: { command: '' } }, /exec/],
      [{ nodeIds: ['local'], exec: { command: 'x', argv: ['x'] } }, /exactly one of command or argv/],
      [{ exec: { command: 'x' } }, /choose target nodes/],
      [{ selector: { role: 'no-such-role' }, exec: { command: 'x' } }, /No node matches/],
      [{ nodeIds: ['local'], exec: { command: 'x' }, timeoutSec: 0 }, /timeoutSec/],
    ];
    for (const [body, message] of cases) {
      const refused = await master.failure('enqueueCommands', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.message).toMatch(message);
    }
  });

  it('runs on the built-in local node too', async () => {
    const [c] = await enqueue(master, { nodeIds: ['local'], exec: { argv: ['node', '-e', 'console.log(40 + 2)'] } });
    expect(await waitForCommand(master, c?.id as string)).toMatchObject({ status: 'succeeded', stdout: '42\n' });
  });
});
