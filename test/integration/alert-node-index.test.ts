// The alert rules' node index reads the fleet in pages (a 10,000-row read blocked the event loop
// 100–300 ms): every node must still be indexed, a node deleted behind its back must go, and the
// offline rules' short list (nodes not online) must follow status events.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeIndex } from '../../main/core/alerts/node-index.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

describe.each(storeTargets())('alert node index ($name)', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let index: NodeIndex;

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
  });

  afterEach(async () => {
    index?.stop();
    await cleanup();
  });

  it('indexes a fleet larger than one page, drops a node deleted meanwhile, and lists the nodes not online', async () => {
    const bus = new EventBus();
    const registry = new NodeRegistry(store.db, bus);
    const created = await registry.createMany(
      Array.from({ length: 1_234 }, (_, i) => ({ name: `n-${i}`, labels: { rack: String(i % 7) } })),
    );
    index = new NodeIndex(registry, bus, silentLogger);
    await index.start();
    expect([...index.all()].map((n) => n.id).sort()).toEqual(created.map((c) => c.node.id).sort());
    // Never connected: not online, so the offline rules look at them.
    expect([...index.notOnline()]).toHaveLength(1_234);

    const [gone, online] = created.map((c) => c.node.id);
    // Known at once from the event (the row follows on the next refresh).
    bus.emit('nodeStatus', { nodeId: online as string, status: 'online', at: Date.now(), reason: 'connected' });
    expect([...index.notOnline()].map((n) => n.id)).not.toContain(online);
    expect([...index.notOnline()]).toHaveLength(1_233);

    await store.db
      .deleteFrom('nodes')
      .where('id', '=', gone as string)
      .execute();
    await index.refreshAll();
    expect(index.get(gone as string)).toBeUndefined();
    expect(index.get(online as string)?.name).toBe('n-1');
    expect([...index.all()]).toHaveLength(1_233);
    expect([...index.notOnline()].map((n) => n.id)).not.toContain(gone);
  });
});
