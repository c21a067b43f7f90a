// The queue's sweeper (queue/sweeper.ts) on SQLite and MariaDB: one pass ends every due command as its
// service decides — deadline expirer, lease rescuer (lost, or renewed while the node is connected),
// due dispatcher — and all its finishes share one transaction instead of one per row.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MasterMessage } from '../../agent/protocol.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { CommandQueue, type NewCommand } from '../../main/core/queue/queue.js';
import { decide } from '../../main/core/queue/sweeper.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';
import { waitFor } from '../helpers/processes.js';

class FakeLinks {
  connected = new Set<string>();
  isConnected = (nodeId: string) => this.connected.has(nodeId);
  send = (nodeId: string, _message: MasterMessage) => this.connected.has(nodeId);
}

const LEASE_GRACE_MS = 1_000;
const TIMEOUT_MS = 10_000;

describe('sweep decisions', () => {
  const row = (status: 'pending' | 'dispatched' | 'running', extra: Record<string, number | null> = {}) => ({
    command_id: 'cmd_1',
    node_id: 'node_1',
    status,
    deadline_at: null,
    lease_until: null,
    available_at: null,
    ...extra,
  });
  it('names the service that acts, and only the leader ends or renews', () => {
    const at = 1_000;
    expect(decide(row('pending', { deadline_at: 999 }), at, true, true, true)).toMatchObject({
      service: 'deadline expirer',
      finish: { status: 'expired' },
    });
    // Dispatched to a node that is connected somewhere: it may still start; its lease decides.
    expect(decide(row('dispatched', { deadline_at: 999 }), at, true, false, true)).toBeNull();
    expect(decide(row('dispatched', { deadline_at: 999 }), at, true, false, false)).toMatchObject({
      finish: { status: 'expired' },
    });
    expect(decide(row('running', { lease_until: 999 }), at, true, false, false)).toMatchObject({
      service: 'lease rescuer',
      finish: { status: 'lost' },
    });
    expect(decide(row('running', { lease_until: 999 }), at, true, false, true)).toEqual({
      service: 'lease rescuer',
      renew: 'node_1',
    });
    expect(decide(row('pending', { available_at: 999 }), at, true, true, true)).toEqual({
      service: 'due dispatcher',
      kick: 'node_1',
    });
    expect(decide(row('pending', { deadline_at: 999 }), at, false, true, true)).toEqual({
      service: 'due dispatcher',
      kick: 'node_1',
    });
    expect(decide(row('running', { lease_until: 999 }), at, false, false, false)).toBeNull();
  });
});

describe.each(storeTargets())('sweeper on $name', (target) => {
  let closeStore: () => Promise<void>;
  let store: Store;
  let links: FakeLinks;
  let bus: EventBus;
  let queue: CommandQueue;
  let clock: number;
  let here: string;
  let away: string;

  const spec = (nodeId: string, extra: Partial<NewCommand> = {}): NewCommand => ({
    nodeId,
    exec: { command: 'true' },
    timeoutMs: TIMEOUT_MS,
    outputLimit: 1024,
    deadlineAt: null,
    retry: null,
    ...extra,
  });
  const statuses = async (ids: string[]) => {
    const rows = await store.db.selectFrom('commands').select(['id', 'status']).where('id', 'in', ids).execute();
    return rows.map((r) => r.status).sort();
  };

  beforeEach(async () => {
    clock = 1_000_000;
    ({ store, cleanup: closeStore } = await target.open());
    bus = new EventBus();
    const registry = new NodeRegistry(store.db, bus);
    here = (await registry.create({ name: 'here' })).node.id;
    away = (await registry.create({ name: 'away' })).node.id;
    links = new FakeLinks();
    queue = new CommandQueue(store.db, links, bus, silentLogger, { leaseGraceMs: LEASE_GRACE_MS }, () => clock);
  });
  afterEach(async () => {
    await queue.stop();
    await closeStore();
  });

  it('ends every due command in one transaction: expired, lost with its retry, leases of a connected node renewed', async () => {
    links.connected.add(here);
    links.connected.add(away);
    const running = await queue.enqueue([
      ...Array.from({ length: 4 }, () => spec(away)),
      spec(away, { retry: { maxAttempts: 2, delaySec: 0 } }),
    ]);
    const held = await queue.enqueue(Array.from({ length: 3 }, () => spec(here)));
    const startedIds = [...running, ...held].map((r) => r.id);
    await waitFor(async () => (await statuses(startedIds)).every((s) => s === 'dispatched'), 'dispatch');
    for (const row of [...running, ...held]) await queue.started(row.node_id, row.id, clock);
    links.connected.delete(away);
    const late = await queue.enqueue(Array.from({ length: 40 }, () => spec(away, { deadlineAt: clock + 500 })));
    const ended: string[] = [];
    bus.subscribe((m) => {
      if (m.event === 'commandStatus' && (m.data.status === 'expired' || m.data.status === 'lost'))
        ended.push(m.data.id);
    });

    clock += TIMEOUT_MS + LEASE_GRACE_MS + 1;
    const transactions = vi.spyOn(store.db, 'transaction');
    const connections = vi.spyOn(store.db, 'connection');
    await queue.sweep();
    const opened = transactions.mock.calls.length + connections.mock.calls.length;
    transactions.mockRestore();
    connections.mockRestore();

    expect(await statuses(late.map((r) => r.id))).toEqual(Array(40).fill('expired'));
    expect(await statuses(running.map((r) => r.id))).toEqual(Array(5).fill('lost'));
    expect(await statuses(held.map((r) => r.id))).toEqual(Array(3).fill('running'));
    expect(ended.sort()).toEqual([...late, ...running].map((r) => r.id).sort());
    // 45 finishes, one transaction (it was 45, one per row).
    expect(opened).toBe(1);
    const retry = await store.db
      .selectFrom('commands')
      .selectAll()
      .where('retry_of', '=', running[4]?.id as string)
      .execute();
    expect(retry).toMatchObject([{ attempt: 2, status: 'pending' }]);
    const leases = await store.db
      .selectFrom('command_inflight')
      .select('lease_until')
      .where('node_id', '=', here)
      .execute();
    expect(leases.map((l) => Number(l.lease_until))).toEqual(Array(3).fill(clock + LEASE_GRACE_MS));
    // Nothing left that a second pass would end.
    await queue.sweep();
    expect(await statuses(late.map((r) => r.id))).toEqual(Array(40).fill('expired'));
  });

  it('a follower ends nothing and renews nothing; it only kicks its own nodes', async () => {
    const late = await queue.enqueue([spec(away, { deadlineAt: clock + 500 })]);
    queue.setLeader(false);
    clock += 1_000;
    await queue.sweep();
    expect(await statuses(late.map((r) => r.id))).toEqual(['pending']);
    queue.setLeader(true);
    await queue.sweep();
    expect(await statuses(late.map((r) => r.id))).toEqual(['expired']);
  });

  it('a cancel and a revoke end through the same batch; a finished command is not moved again', async () => {
    const rows = await queue.enqueue(Array.from({ length: 3 }, () => spec(away)));
    expect((await queue.cancel(rows[0]?.id as string)).status).toBe('cancelled');
    expect(await queue.cancelNodeCommands(away, 'node revoked')).toBe(2);
    expect(await queue.cancelNodeCommands(away, 'node revoked')).toBe(0);
    const reasons = await store.db
      .selectFrom('commands')
      .select(['status', 'error'])
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('id')
      .execute();
    expect(reasons).toEqual([
      { status: 'cancelled', error: 'cancelled before it started' },
      { status: 'cancelled', error: 'node revoked' },
      { status: 'cancelled', error: 'node revoked' },
    ]);
  });
});
