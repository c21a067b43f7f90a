import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { CommandResult, MasterMessage } from '../../agent/protocol.js';
import {
  ACTIVE_STATUSES,
  COMMAND_STATUSES,
  type CommandStatus,
  TERMINAL_STATUSES,
} from '../../main/contract/command-status.js';
import { CommandStatus as CommandStatusSchema } from '../../main/contract/queue-schemas.js';
import { EventBus } from '../../main/core/events.js';
import { GroupCommit } from '../../main/core/group-commit.js';
import { silentLogger } from '../../main/core/log.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { CommandQueue, type NewCommand } from '../../main/core/queue/queue.js';
import { RetentionJob } from '../../main/core/queue/retention.js';
import { canTransition } from '../../main/core/queue/states.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';
import { waitFor } from '../helpers/processes.js';

class FakeLinks {
  connected = new Set<string>();
  sent: Array<{ nodeId: string; message: MasterMessage }> = [];
  isConnected = (nodeId: string) => this.connected.has(nodeId);
  send = (nodeId: string, message: MasterMessage) => {
    if (!this.connected.has(nodeId)) return false;
    this.sent.push({ nodeId, message });
    return true;
  };
  commandsFor(nodeId: string) {
    return this.sent
      .filter((s) => s.nodeId === nodeId && s.message.type === 'command')
      .map((s) => (s.message as { id: string }).id);
  }
}

describe('transition table', () => {
  it('allows only forward moves and nothing out of a terminal state', () => {
    for (const t of TERMINAL_STATUSES) for (const to of COMMAND_STATUSES) expect(canTransition(t, to)).toBe(false);
    expect(canTransition('pending', 'running')).toBe(false);
    expect(canTransition('running', 'pending')).toBe(false);
    expect(canTransition('running', 'expired')).toBe(false);
    expect(canTransition('pending', 'dispatched')).toBe(true);
    expect(canTransition('dispatched', 'lost')).toBe(true);
  });

  it('uses the one status list: every status active or terminal, the contract enumerating the same', () => {
    expectTypeOf<
      Exclude<CommandStatus, (typeof ACTIVE_STATUSES)[number] | (typeof TERMINAL_STATUSES)[number]>
    >().toBeNever();
    expect([...ACTIVE_STATUSES, ...TERMINAL_STATUSES].sort()).toEqual([...COMMAND_STATUSES].sort());
    expect(ACTIVE_STATUSES.filter((s) => (TERMINAL_STATUSES as readonly string[]).includes(s))).toEqual([]);
    for (const active of ACTIVE_STATUSES) {
      expect(COMMAND_STATUSES.some((to) => canTransition(active, to))).toBe(true);
    }
    expect(CommandStatusSchema.options).toEqual([...COMMAND_STATUSES]);
  });
});

describe.each(storeTargets())('queue on $name', (target) => {
  let closeStore: () => Promise<void>;
  let store: Store;
  let links: FakeLinks;
  let queue: CommandQueue;
  let clock: number;
  const nodes: string[] = [];

  const spec = (nodeId: string, extra: Partial<NewCommand> = {}): NewCommand => ({
    nodeId,
    exec: { command: 'true' },
    timeoutMs: 10_000,
    outputLimit: 1024 * 1024,
    deadlineAt: null,
    retry: null,
    ...extra,
  });

  const result = (id: string, outcome: CommandResult['outcome'] = 'succeeded'): CommandResult => ({
    id,
    outcome,
    exitCode: outcome === 'succeeded' ? 0 : 1,
    signal: null,
    startedAt: clock,
    finishedAt: clock + 5,
    stdout: 'ok\n',
    stderr: '',
    truncated: false,
    error: null,
  });

  const status = async (id: string) => (await queue.get(id)).status;

  beforeEach(async () => {
    clock = 1_000_000;
    ({ store, cleanup: closeStore } = await target.open());
    const bus = new EventBus();
    const registry = new NodeRegistry(store.db, bus);
    nodes.length = 0;
    for (const name of ['a', 'b']) nodes.push((await registry.create({ name })).node.id);
    links = new FakeLinks();
    queue = new CommandQueue(store.db, links, bus, silentLogger, { leaseGraceMs: 1_000 }, () => clock);
  });
  afterEach(async () => {
    await queue.stop();
    await closeStore();
  });

  describe('queue states', () => {
    it('pending → dispatched → running → succeeded, acknowledged after commit', async () => {
      const [a] = nodes;
      const [row] = await queue.enqueue([spec(a as string)]);
      const id = row?.id as string;
      expect(await status(id)).toBe('pending');
      links.connected.add(a as string);
      await queue.nodeConnected(a as string, []);
      await waitFor(async () => (await status(id)) === 'dispatched', 'dispatch');
      await queue.started(a as string, id, clock);
      expect(await status(id)).toBe('running');
      await queue.result(a as string, result(id));
      expect(await status(id)).toBe('succeeded');
      expect(links.sent.at(-1)?.message).toEqual({ type: 'ack', id });
      const inflight = await store.db.selectFrom('command_inflight').selectAll().execute();
      expect(inflight).toEqual([]);
    });

    it('a duplicate result changes nothing and is acknowledged again', async () => {
      const a = nodes[0] as string;
      links.connected.add(a);
      const [row] = await queue.enqueue([spec(a)]);
      const id = row?.id as string;
      await waitFor(async () => (await status(id)) === 'dispatched', 'dispatch');
      await queue.result(a, result(id, 'failed'));
      await queue.result(a, result(id, 'succeeded'));
      expect(await status(id)).toBe('failed');
      expect(links.sent.filter((s) => s.message.type === 'ack')).toHaveLength(2);
    });

    it("refuses a result or start reported by another node's agent", async () => {
      const [a, b] = nodes as [string, string];
      links.connected.add(a);
      links.connected.add(b);
      const [row] = await queue.enqueue([spec(a)]);
      const id = row?.id as string;
      await waitFor(async () => (await status(id)) === 'dispatched', 'dispatch');
      await queue.started(b, id, clock);
      await queue.result(b, result(id));
      expect(await status(id)).toBe('dispatched');
      expect(links.sent.some((s) => s.nodeId === b && s.message.type === 'ack')).toBe(false);
    });

    it('pending past its deadline → expired; cancel of a pending command → cancelled', async () => {
      const a = nodes[0] as string;
      const [late, other] = await queue.enqueue([spec(a, { deadlineAt: clock + 500 }), spec(a)]);
      clock += 1_000;
      await queue.sweep();
      expect(await status(late?.id as string)).toBe('expired');
      expect((await queue.cancel(other?.id as string)).status).toBe('cancelled');
      await expect(queue.cancel(other?.id as string)).rejects.toThrow(/already cancelled/);
    });

    it('running on a node that vanished → lost after the lease, with a retry when the policy allows', async () => {
      const a = nodes[0] as string;
      links.connected.add(a);
      const [once, twice] = await queue.enqueue([spec(a), spec(a, { retry: { maxAttempts: 2, delaySec: 0 } })]);
      await waitFor(async () => (await status(twice?.id as string)) === 'dispatched', 'dispatch');
      await queue.started(a, once?.id as string, clock);
      await queue.started(a, twice?.id as string, clock);
      links.connected.delete(a);
      clock += 10_000 + 1_000 + 1;
      await queue.sweep();
      expect(await status(once?.id as string)).toBe('lost');
      expect(await status(twice?.id as string)).toBe('lost');
      const retries = await store.db
        .selectFrom('commands')
        .selectAll()
        .where('retry_of', '=', twice?.id as string)
        .execute();
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ attempt: 2, status: 'pending' });
    });

    it('redelivers dispatched and running commands on reconnect, except those the agent reports running', async () => {
      const a = nodes[0] as string;
      links.connected.add(a);
      const [first, second] = await queue.enqueue([spec(a), spec(a)]);
      await waitFor(async () => (await status(second?.id as string)) === 'dispatched', 'dispatch');
      await queue.started(a, first?.id as string, clock);
      links.sent = [];
      await queue.nodeConnected(a, [first?.id as string]);
      expect(links.commandsFor(a)).toEqual([second?.id]);
    });

    it('dispatches in order and at most the window per node', async () => {
      const limited = new CommandQueue(
        store.db,
        links,
        new EventBus(),
        silentLogger,
        { windowPerNode: 3 },
        () => clock,
      );
      const a = nodes[0] as string;
      links.connected.add(a);
      const rows = await limited.enqueue(Array.from({ length: 5 }, () => spec(a)));
      await waitFor(() => links.commandsFor(a).length === 3, 'three dispatched');
      expect(links.commandsFor(a)).toEqual(rows.slice(0, 3).map((r) => r.id));
      await limited.result(a, result(rows[0]?.id as string));
      await waitFor(() => links.commandsFor(a).length === 4, 'the fourth after one finished');
      expect(links.commandsFor(a)[3]).toBe(rows[3]?.id);
    });

    it('a connected idle node gets a new command in the commit that stores it', async () => {
      const a = nodes[0] as string;
      links.connected.add(a);
      const [row] = await queue.enqueue([spec(a)]);
      expect(await status(row?.id as string)).toBe('dispatched');
      const [inflight] = await store.db.selectFrom('command_inflight').selectAll().execute();
      expect(inflight).toMatchObject({ status: 'dispatched', lease_until: clock + 1_000 });
      await waitFor(() => links.commandsFor(a).length === 1, 'sent');
    });

    it('a new command never overtakes commands already waiting for its node', async () => {
      const limited = new CommandQueue(
        store.db,
        links,
        new EventBus(),
        silentLogger,
        { windowPerNode: 2 },
        () => clock,
      );
      const a = nodes[0] as string;
      const waiting = await limited.enqueue([spec(a), spec(a), spec(a)]);
      links.connected.add(a); // connected, but not yet kicked: the three still wait
      const [later] = await limited.enqueue([spec(a)]);
      await waitFor(() => links.commandsFor(a).length === 2, 'the window filled');
      expect(links.commandsFor(a)).toEqual(waiting.slice(0, 2).map((r) => r.id));
      expect(await status(later?.id as string)).toBe('pending');
      await limited.stop();
    });

    it('a held command (task concurrency) does not hold back later ones', async () => {
      const a = nodes[0] as string;
      links.connected.add(a);
      const [held, free] = await queue.enqueue([spec(a, { available: false }), spec(a)]);
      expect(await status(held?.id as string)).toBe('pending');
      expect(await status(free?.id as string)).toBe('dispatched');
      await queue.release([held?.id as string]);
      await waitFor(async () => (await status(held?.id as string)) === 'dispatched', 'released');
    });

    it('starts reported together are stored together, each with its own start time and lease', async () => {
      const a = nodes[0] as string;
      links.connected.add(a);
      const rows = await queue.enqueue([spec(a, { timeoutMs: 1_000 }), spec(a, { timeoutMs: 5_000 })]);
      const [first, second] = rows.map((r) => r.id) as [string, string];
      await Promise.all([queue.started(a, first, clock + 1), queue.started(a, second, clock + 2)]);
      const stored = await store.db.selectFrom('commands').selectAll().orderBy('id').execute();
      expect(stored.map((r) => [r.status, Number(r.started_at)])).toEqual([
        ['running', clock + 1],
        ['running', clock + 2],
      ]);
      const leases = await store.db.selectFrom('command_inflight').selectAll().orderBy('command_id').execute();
      expect(leases.map((l) => Number(l.lease_until))).toEqual([clock + 1_000 + 1_000, clock + 5_000 + 1_000]);
    });

    it('a result sent right behind its start is never overtaken by it: every step is seen, in order', async () => {
      const a = nodes[0] as string;
      links.connected.add(a);
      const bus = new EventBus();
      const events: string[] = [];
      bus.subscribe((m) => m.event === 'commandStatus' && events.push(`${m.data.id} ${m.data.status}`));
      const watched = new CommandQueue(store.db, links, bus, silentLogger, {}, () => clock);
      const rows = await watched.enqueue(Array.from({ length: 20 }, () => spec(a)));
      await Promise.all(rows.flatMap((r) => [watched.started(a, r.id, clock), watched.result(a, result(r.id))]));
      for (const r of rows) {
        expect(await status(r.id)).toBe('succeeded');
        const mine = events.filter((e) => e.startsWith(r.id)).map((e) => e.split(' ')[1]);
        expect(mine).toEqual(['pending', 'dispatched', 'running', 'succeeded']);
      }
      expect(await store.db.selectFrom('command_inflight').selectAll().execute()).toEqual([]);
      await watched.stop();
    });

    it('a fan-out is one transaction: all rows or none', async () => {
      await expect(queue.enqueue([spec(nodes[0] as string), spec('no-such-node')])).rejects.toThrow(/FOREIGN KEY/);
      expect(await store.db.selectFrom('commands').selectAll().execute()).toEqual([]);
    });

    it('retention deletes finished history but never unfinished commands', async () => {
      const a = nodes[0] as string;
      links.connected.add(a);
      const [done, waiting] = await queue.enqueue([spec(a), spec(nodes[1] as string)]);
      await waitFor(async () => (await status(done?.id as string)) === 'dispatched', 'dispatch');
      await queue.result(a, result(done?.id as string));
      clock += 40 * 86_400_000;
      const deleted = await new RetentionJob(store.db, 30 * 86_400_000, silentLogger, () => clock).runOnce();
      expect(deleted).toBe(1);
      expect(await status(waiting?.id as string)).toBe('pending');
    });
  });
});

describe('group commit', () => {
  it('commits items pushed in one tick as one batch', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      return items.map((i) => i * 2);
    });
    const results = await Promise.all([1, 2, 3].map((i) => group.push(i)));
    expect(results).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });
});
