// Uptime counts from a node's first connect: the hours between creating a node and starting its
// agent are not downtime.
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
const HOUR = 3_600_000;

describe.each(storeTargets())('node uptime on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let clock: number;
  let registry: NodeRegistry;

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
    clock = 1_000 * HOUR;
    registry = new NodeRegistry(store.db, new EventBus(), () => clock, 'instance');
  });
  afterEach(() => cleanup());

  it('is 100 % for a node online ever since its first connect, hours after it was created', async () => {
    const { node } = await registry.create({ name: 'late-start' });
    clock += 5 * HOUR;
    await registry.markOnline(node.id, hello, '127.0.0.1', 'connected');
    clock += 1 * HOUR;
    const uptime = await registry.uptime(node.id, 24);
    expect(uptime.onlineMs).toBe(HOUR);
    expect(uptime.ratio).toBe(1);
  });

  it('counts an outage after the first connect, and is 0 for a node that never connected', async () => {
    const { node } = await registry.create({ name: 'flaky' });
    await registry.markOnline(node.id, hello, '127.0.0.1', 'connected');
    clock += 3 * HOUR;
    await registry.markOffline(node.id, 'gone');
    clock += 1 * HOUR;
    expect((await registry.uptime(node.id, 24)).ratio).toBeCloseTo(0.75);
    const { node: never } = await registry.create({ name: 'never' });
    clock += HOUR;
    expect((await registry.uptime(never.id, 24)).ratio).toBe(0);
  });

  it('uses the whole window for a node that connected before it', async () => {
    const { node } = await registry.create({ name: 'old' });
    await registry.markOnline(node.id, hello, '127.0.0.1', 'connected');
    clock += 30 * HOUR;
    await registry.markOffline(node.id, 'gone');
    clock += 6 * HOUR;
    expect((await registry.uptime(node.id, 24)).ratio).toBeCloseTo(18 / 24);
  });
});
