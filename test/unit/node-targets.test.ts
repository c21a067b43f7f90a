// Target resolution (core/nodes/targets.ts) against a real registry on a SQLite file: ids and a label
// selector together, revoked nodes refused when named and left out when matched.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FleetError } from '../../main/contract/errors.js';
import { EventBus } from '../../main/core/events.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { resolveTargets, targetNodes } from '../../main/core/nodes/targets.js';
import { openStore, type Store } from '../../main/core/store/store.js';
import { tempDir } from '../helpers/processes.js';

describe('target resolution', () => {
  let store: Store;
  let registry: NodeRegistry;
  const ids: Record<string, string> = {};

  beforeEach(async () => {
    store = await openStore(join(tempDir(), 'store.db'));
    registry = new NodeRegistry(store.db, new EventBus());
    for (const [name, role] of [
      ['web-1', 'web'],
      ['web-2', 'web'],
      ['db-1', 'db'],
    ] as const) {
      ids[name] = (await registry.create({ name, labels: { role } })).node.id;
    }
  });
  afterEach(() => store.close());

  const names = async (targets: Parameters<typeof resolveTargets>[1]) => {
    const chosen = new Set(await resolveTargets(registry, targets));
    return Object.entries(ids)
      .filter(([, id]) => chosen.has(id))
      .map(([name]) => name)
      .sort();
  };

  it('joins ids and a selector, each node once', async () => {
    expect(await names({ selector: { role: 'web' } })).toEqual(['web-1', 'web-2']);
    expect(
      await names({ nodeIds: [ids['db-1'] as string, ids['web-1'] as string], selector: { role: 'web' } }),
    ).toEqual(['db-1', 'web-1', 'web-2']);
    expect(await names({ selector: { role: 'cache' } })).toEqual([]);
  });

  it('refuses an unknown id (400) and a revoked node named by id (409), leaves a matched revoked one out', async () => {
    await expect(resolveTargets(registry, { nodeIds: ['node_nope'] })).rejects.toMatchObject({ code: 'bad_request' });
    await registry.revoke(ids['web-2'] as string);
    expect(await names({ selector: { role: 'web' } })).toEqual(['web-1']);
    const refused = await resolveTargets(registry, { nodeIds: [ids['web-2'] as string] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FleetError);
    expect(refused).toMatchObject({ code: 'conflict', message: expect.stringContaining('"web-2" is revoked') });
    const split = await targetNodes(registry, { selector: { role: 'web' } });
    expect(split.nodes.map((n) => n.name)).toEqual(['web-1']);
    expect(split.revoked.map((n) => n.name)).toEqual(['web-2']);
  });
});
