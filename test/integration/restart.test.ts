// Master restarts with agents connected: they come back, and no false offline is recorded.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNode,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  statusEvents,
  waitForStatus,
} from '../helpers/processes.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});

async function fleetOf(master: MasterHandle, size: number) {
  const nodes: Array<{ id: string; proc: Proc }> = [];
  for (let i = 0; i < size; i++) {
    const { node, token } = await createNode(master, `node-${i}`);
    const proc = startAgent({ master, token });
    cleanup.push(() => proc.stop('SIGKILL'));
    nodes.push({ id: node.id, proc });
  }
  for (const node of nodes) await waitForStatus(master, node.id, 'online');
  return nodes;
}

describe.each([
  ['graceful (SIGTERM)', 'SIGTERM' as const],
  ['crash (SIGKILL)', 'SIGKILL' as const],
])('master restart, %s', (_label, signal) => {
  it('agents reconnect and no offline transition is recorded', async () => {
    const first = await startMaster({ args: ['--restart-grace-sec', '20'] });
    const nodes = await fleetOf(first, 3);
    await first.proc.stop(signal);
    for (const node of nodes) await node.proc.waitForLine(/WARN disconnected/);

    const second = await startMaster({
      dataDir: first.dataDir,
      agentPort: first.agentPort,
      args: ['--restart-grace-sec', '20'],
    });
    cleanup.push(() => second.proc.stop());
    expect(second.fingerprint).toBe(first.fingerprint);
    for (const node of nodes) {
      await waitForStatus(second, node.id, 'online', 15_000);
      await node.proc.waitForLine(
        /INFO connected/,
        15_000,
        node.proc.lines.findIndex((l) => /WARN disconnected/.test(l)),
      );
      expect((await statusEvents(second, node.id)).map((e) => e.status)).toEqual(['online']);
    }
  });
});

describe('master restart grace', () => {
  it('a node that does not come back is marked offline when the grace window ends', async () => {
    const first = await startMaster();
    const [node] = await fleetOf(first, 1);
    if (!node) throw new Error('no node');
    await first.proc.stop('SIGKILL');
    await node.proc.stop('SIGKILL');
    const second = await startMaster({ dataDir: first.dataDir, args: ['--restart-grace-sec', '1'] });
    cleanup.push(() => second.proc.stop());
    await waitForStatus(second, node.id, 'offline', 5_000);
    const events = await statusEvents(second, node.id);
    expect(events.map((e) => e.status)).toEqual(['online', 'offline']);
    expect(events[1]?.reason).toBe('did not reconnect after master restart');
  });
});
