import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HelloMessage } from '../../agent/protocol.js';
import { EventBus } from '../../main/core/events.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

const hello: HelloMessage = {
  type: 'hello',
  protocol: 1,
  agentVersion: 'test',
  facts: { hostname: 'h', os: 'linux', platform: 'linux', arch: 'x64', kernel: '6', bootId: 'b' },
  capabilities: { exec: true, files: false, filesWrite: false, roots: [] },
  running: [],
};

describe.each(storeTargets())('nodes of a dead instance on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
  });
  afterEach(() => cleanup());

  it('go offline at their last-seen time, each with one event, except one another instance took over', async () => {
    const count = 2_000;
    let clock = 5_000_000;
    const dead = new NodeRegistry(store.db, new EventBus(), () => clock, 'dead-instance');
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await dead.create({ name: `n-${i}` })).node.id);
    await Promise.all(ids.map((id) => dead.markOnline(id, hello, '127.0.0.1', 'connected')));
    const moved = ids[0] as string;
    clock += 1_000;
    const survivorBus = new EventBus();
    const offline: string[] = [];
    survivorBus.subscribe(
      (m) => m.event === 'nodeStatus' && m.data.status === 'offline' && offline.push(m.data.nodeId),
    );
    const survivor = new NodeRegistry(store.db, survivorBus, () => clock, 'survivor');
    await survivor.markOnline(moved, hello, '127.0.0.1', 'reconnected');

    await survivor.releaseNodesOf(['dead-instance'], 'its master instance stopped');

    const nodes = await store.db.selectFrom('nodes').select(['id', 'status', 'last_seen_at']).execute();
    expect(nodes.filter((n) => n.status === 'online').map((n) => n.id)).toEqual([moved]);
    expect(nodes.filter((n) => n.id !== moved).every((n) => Number(n.last_seen_at) === 5_000_000)).toBe(true);
    expect(offline).toHaveLength(count - 1);
    const events = await store.db
      .selectFrom('node_status_events')
      .select(['at'])
      .where('reason', '=', 'its master instance stopped')
      .execute();
    expect(events).toHaveLength(count - 1);
    expect(events.every((e) => Number(e.at) === 5_000_000)).toBe(true);
  });

  it('says when a node came back with the hello it had, so screens patch it instead of fetching it', async () => {
    const bus = new EventBus();
    const online: Array<{ sameHello?: boolean }> = [];
    bus.subscribe((m) => m.event === 'nodeStatus' && m.data.status === 'online' && online.push(m.data));
    const registry = new NodeRegistry(store.db, bus, () => 5_000_000, 'instance');
    const id = (await registry.create({ name: 'web' })).node.id;
    const cycle = async (h: HelloMessage, address = '127.0.0.1') => {
      await registry.markOnline(id, h, address, 'connected');
      await registry.markOffline(id, 'connection closed');
    };
    await cycle(hello); // first connect: everything is new
    await cycle(hello); // back as it was
    await cycle({ ...hello, agentVersion: 'test-2' }); // upgraded
    await cycle({ ...hello, agentVersion: 'test-2' }, '127.0.0.2'); // another address
    await cycle({ ...hello, agentVersion: 'test-2', capabilities: { ...hello.capabilities, files: true } });
    expect(online.map((e) => e.sameHello === true)).toEqual([false, true, false, false, false]);
  });
});
