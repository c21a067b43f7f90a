// Issue 15 (defects 1, 4, 5) as attacks: work pushed at a revoked node, a token-ack forged by another
// node for a rotation it was not offered, and a task run an offline target would keep open forever.
// A master in this process with raw protocol clients; about 10 s.
import { startInProcess } from '../../helpers/in-process.js';
import { waitFor } from '../../helpers/processes.js';
import { RawAgent } from '../../helpers/raw-agent.js';
import type { Attack, AttackRow } from './report.js';

const PUSHED = 200;

type Harness = Awaited<ReturnType<typeof startInProcess>>;
interface Created {
  node: { id: string };
  token: string;
}

export const lifecycleAttack: Attack = async () => {
  const harness = await startInProcess();
  const sockets: RawAgent[] = [];
  try {
    return [await revokedWork(harness), await forgedTokenAck(harness, sockets), await hungRun(harness)];
  } finally {
    for (const s of sockets) s.ws.terminate();
    await harness.stop();
  }
};

const node = async ({ request }: Harness, name: string) =>
  (await request('POST', '/api/nodes', { name })).body as unknown as Created;

/** Commands queued before and after a revoke: none may stay unfinished, none may be accepted after. */
async function revokedWork(harness: Harness): Promise<AttackRow> {
  const { request } = harness;
  const target = await node(harness, 'revoked-target');
  const exec = { command: 'true' };
  for (let i = 0; i < PUSHED; i++) await request('POST', '/api/commands', { nodeIds: [target.node.id], exec });
  await request('POST', `/api/nodes/${target.node.id}/revoke`);
  let accepted = 0;
  for (let i = 0; i < PUSHED; i++) {
    if ((await request('POST', '/api/commands', { nodeIds: [target.node.id], exec })).status === 201) accepted++;
  }
  const listed = await request('GET', `/api/commands?nodeId=${target.node.id}&limit=1000`);
  const unfinished = (listed.body as unknown as Array<{ status: string }>).filter((c) =>
    ['pending', 'dispatched', 'running'].includes(c.status),
  ).length;
  const value = accepted + unfinished;
  return {
    attack: 'revoked node: work still queued or accepted',
    measure: 'commands',
    value,
    before: 2 * PUSHED,
    target: '0',
    ok: value === 0,
  };
}

/** Node B answers node A's token offer with A's offer id: A's rotation must not read as stored. */
async function forgedTokenAck(harness: Harness, sockets: RawAgent[]): Promise<AttackRow> {
  const { master, request } = harness;
  const a = await node(harness, 'rotating');
  const b = await node(harness, 'forger');
  const victim = await RawAgent.connect(master, a.token);
  const forger = await RawAgent.connect(master, b.token);
  sockets.push(victim, forger);
  const rotation = request('POST', `/api/nodes/${a.node.id}/rotate-token`, { overlapSec: 60 });
  const offer = await waitFor(() => victim.received.find((m) => m.type === 'token'), 'the token offer');
  forger.send({ type: 'token-ack', id: offer.id, ok: true, storedIn: 'state-dir', error: null });
  const delivery = ((await rotation).body as unknown as { delivery: { status: string } }).delivery;
  const value = delivery.status === 'stored' ? 1 : 0;
  return {
    attack: 'forged token-ack from another node',
    measure: 'forged acks taken',
    value,
    before: null,
    target: '0',
    ok: value === 0,
  };
}

/** A manual run on a node that never connects, with a 1 s per-target deadline: it must end. */
async function hungRun(harness: Harness): Promise<AttackRow> {
  const { request } = harness;
  const away = await node(harness, 'never-connects');
  const task = await request('POST', '/api/tasks', {
    name: 'hangs-forever?',
    exec: { command: 'true' },
    targets: { nodeIds: [away.node.id] },
    deadlineSec: 1,
  });
  const run = await request('POST', `/api/tasks/${task.body.id}/run`);
  const ended = await waitFor(
    async () => {
      const { body } = await request('GET', `/api/runs/${run.body.id}`);
      return body.status !== 'running' ? body : undefined;
    },
    'the run to end',
    10_000,
  ).catch(() => null);
  const value = ended ? 0 : 1;
  return {
    attack: 'task run held open by an offline target',
    measure: 'runs not ended 10 s after start',
    value,
    before: 1,
    target: '0',
    ok: value === 0,
  };
}
