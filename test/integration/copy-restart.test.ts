// Node-to-node copies outlive their master: after a restart (SIGKILL, same data directory) the
// master lists the copy that had finished as done and the one it was running as interrupted, with
// its error in words, and both nodes keep their files.
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNode,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForStatus,
} from '../helpers/processes.js';

describe('copies across a master restart', () => {
  const dataDir = tempDir('fleetdeck-copy-restart-');
  const rootA = tempDir('fleetdeck-copy-restart-a-');
  const rootB = tempDir('fleetdeck-copy-restart-b-');
  let master: MasterHandle;
  const procs: Proc[] = [];
  const ids: string[] = [];

  beforeAll(async () => {
    master = await startMaster({ dataDir });
    for (const root of [rootA, rootB]) {
      const { node, token } = await createNode(master, `copy-${ids.length}`);
      procs.push(startAgent({ master, token, args: ['--root', root] }));
      await waitForStatus(master, node.id, 'online', 15_000);
      ids.push(node.id);
    }
  });

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await master?.proc.stop();
  });

  it('lists a finished copy as done and a running one as interrupted after a restart', async () => {
    const [a, b] = ids as [string, string];
    writeFileSync(join(rootA, 'small.txt'), 'hello\n');
    const small = await master.client.startCopy({
      from: { nodeId: a, path: join(rootA, 'small.txt') },
      to: { nodeId: b, path: join(rootB, 'small.txt') },
    });
    await waitFor(
      async () => (await master.client.listCopies({})).find((c) => c.id === small.id && c.state === 'done'),
      'the small copy to finish',
      30_000,
    );
    // A folder with a big sparse file, paused as soon as it moves: it is mid-way when the master dies.
    mkdirSync(join(rootA, 'big'));
    writeFileSync(join(rootA, 'big', 'disk.img'), '');
    truncateSync(join(rootA, 'big', 'disk.img'), 8 * 1024 * 1024 * 1024);
    const big = await master.client.startCopy({
      from: { nodeId: a, path: join(rootA, 'big') },
      to: { nodeId: b, path: join(rootB, 'big') },
    });
    await waitFor(
      async () => (await master.client.listCopies({})).find((c) => c.id === big.id && c.bytes > 0),
      'the big copy to move bytes',
      30_000,
    );
    await master.client.controlCopy({ id: big.id, action: 'pause' });
    // The pause is a state change: written at once.
    await waitFor(
      async () => (await master.client.listCopies({})).find((c) => c.id === big.id && c.state === 'paused'),
      'the big copy to pause',
      10_000,
    );
    await master.proc.stop('SIGKILL');

    master = await startMaster({ dataDir });
    const copies = await master.client.listCopies({});
    expect(copies.find((c) => c.id === small.id)).toMatchObject({ state: 'done', bytes: 6, error: null });
    const interrupted = copies.find((c) => c.id === big.id);
    expect(interrupted).toMatchObject({ state: 'interrupted', kind: 'directory', finishedAt: expect.any(Number) });
    expect(interrupted?.bytes).toBeGreaterThan(0);
    expect(interrupted?.error?.code).toBe('interrupted');
    expect(interrupted?.error?.message).toMatch(/master stopped while this copy ran; start it again/);
    // Finished: pause, resume and cancel change nothing (the copy is not running anywhere).
    expect((await master.failure('controlCopy', { id: big.id, action: 'resume' })).code).toBe('not_found');
  }, 90_000);
});
