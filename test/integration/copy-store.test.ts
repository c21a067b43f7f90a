// Node-to-node copies in the store (migration 28), on SQLite and MariaDB: written as they change,
// listed newest first, a copy its instance was running when it stopped marked interrupted (and only
// that instance's), finished ones pruned beyond the kept number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CopyView } from '../../main/core/files/copies.js';
import { COPIES_KEPT, CopyStore, stagingPath } from '../../main/core/files/copy-store.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

function view(id: string, patch: Partial<CopyView> = {}): CopyView {
  return {
    id,
    from: { nodeId: 'node-a', path: '/srv/site' },
    to: { nodeId: 'node-b', path: '/backup/site' },
    kind: 'directory',
    state: 'running',
    bytes: 5_000_000_000,
    totalBytes: 8_000_000_000,
    files: 3,
    totalFiles: 10,
    skipped: 1,
    rateBytesPerSec: 1_000,
    etaSec: 30,
    error: null,
    startedAt: 1_700_000_000_000,
    finishedAt: null,
    ...patch,
  };
}

describe.each(storeTargets())('copy store on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ store, cleanup } = await target.open());
  });
  afterAll(() => cleanup?.());

  it('keeps a copy through its changes and marks it interrupted at its instance’s next start', async () => {
    const first = new CopyStore(store.db, 'instance-1', () => 1_700_000_100_000);
    const other = new CopyStore(store.db, 'instance-2');
    await first.save(view('copy_0000000000000001', { state: 'preparing', bytes: 0 }));
    await first.save(view('copy_0000000000000001'));
    await first.save(view('copy_0000000000000002', { kind: 'file', state: 'paused', startedAt: 1_700_000_000_001 }));
    await first.save(
      view('copy_0000000000000003', { state: 'done', finishedAt: 1_700_000_050_000, startedAt: 1_700_000_000_002 }),
    );
    await other.save(view('copy_00000000000000f1'));
    const listed = await first.list();
    expect(listed.map((c) => [c.id, c.state])).toEqual([
      ['copy_0000000000000002', 'paused'],
      ['copy_0000000000000001', 'running'],
      ['copy_0000000000000003', 'done'],
    ]);
    // Figures beyond 2^32 come back as numbers, the live rate is not stored.
    expect(listed[1]).toMatchObject({ bytes: 5_000_000_000, totalBytes: 8_000_000_000, files: 3, rateBytesPerSec: 0 });

    expect(await first.interruptStale()).toBe(2);
    const after = await first.list();
    const folder = after.find((c) => c.id === 'copy_0000000000000001');
    expect(folder).toMatchObject({ state: 'interrupted', finishedAt: 1_700_000_100_000 });
    expect(folder?.error?.code).toBe('interrupted');
    expect(folder?.error?.message).toContain(stagingPath('/backup/site', 'copy_0000000000000001'));
    expect(after.find((c) => c.id === 'copy_0000000000000002')?.error?.message).not.toContain('fleetdeck-copy');
    expect(after.find((c) => c.id === 'copy_0000000000000003')?.state).toBe('done');
    // Another instance's running copy is its own business.
    expect((await other.list())[0]?.state).toBe('running');
  });

  it('prunes finished copies beyond the kept number, never a running one', async () => {
    const copies = new CopyStore(store.db, 'instance-3');
    await copies.save(view('copy_00000000000000a0', { startedAt: 1 }));
    for (let i = 0; i < COPIES_KEPT + 5; i++) {
      const id = `copy_1${String(i).padStart(15, '0')}`;
      await copies.save(view(id, { state: 'done', startedAt: 1_000 + i, finishedAt: 2_000 + i }));
    }
    await copies.prune();
    const listed = await copies.list();
    expect(listed.filter((c) => c.finishedAt !== null)).toHaveLength(COPIES_KEPT);
    expect(listed.some((c) => c.id === 'copy_00000000000000a0')).toBe(true);
    expect(listed.some((c) => c.id === `copy_1${String(0).padStart(15, '0')}`)).toBe(false);
  });
});

describe('staging path', () => {
  it('is the hidden sibling copies.ts stages a folder in', () => {
    expect(stagingPath('/backup/site', 'copy_abcdef0123456789')).toBe('/backup/.site.fleetdeck-copy-abcdef0123456789');
    expect(stagingPath('/site', 'copy_abcdef0123456789')).toBe('/.site.fleetdeck-copy-abcdef0123456789');
  });
});
