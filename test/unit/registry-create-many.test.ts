// registry.createMany: many nodes in one transaction, each with its own token that authenticates,
// only the hash stored (what the bench harness and a fleet import rely on).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../main/core/events.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

describe.each(storeTargets())('registry.createMany on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
  });
  afterEach(() => cleanup());

  it('creates every node with a distinct token that authenticates as that node', async () => {
    const registry = new NodeRegistry(store.db, new EventBus());
    const inputs = Array.from({ length: 1_200 }, (_v, i) => ({ name: `n-${i}`, labels: { batch: 'a' } }));
    const created = await registry.createMany(inputs);
    expect(created).toHaveLength(1_200);
    expect(new Set(created.map((c) => c.token)).size).toBe(1_200);
    const listed = await registry.list();
    expect(listed.filter((n) => n.labels.batch === 'a')).toHaveLength(1_200);
    for (const k of [0, 499, 500, 1_199]) {
      const { node, token } = created[k] as (typeof created)[number];
      expect(node.name).toBe(`n-${k}`);
      expect((await registry.authenticate(token))?.nodeId).toBe(node.id);
    }
    const stored = await store.db.selectFrom('nodes').select('token_hash').execute();
    expect(stored.some((r) => created.some((c) => r.token_hash === c.token))).toBe(false);
  });
});
