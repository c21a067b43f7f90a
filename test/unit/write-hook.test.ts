// The store's write hook (store/write-hook.ts) on SQLite and MariaDB: the work of the first write
// transaction of a hooked run goes in just before its COMMIT (it sees every write of the transaction),
// commits and rolls back with it, in db.transaction(), a batched transaction (one multi-statement text
// on MariaDB, whose statements still answer in order) and a lone write; once per hook; never outside
// the hook's run or under withoutWriteHook.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchedTransaction } from '../../main/core/store/statement-batch.js';
import type { Store } from '../../main/core/store/store.js';
import { runWithWriteHook, type WriteHook, withoutWriteHook } from '../../main/core/store/write-hook.js';
import { storeTargets } from '../helpers/databases.js';

describe.each(storeTargets())('write hook on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const lease = (name: string, expires = 1) => ({ name, holder: 'test', expires_at: expires });
  const names = async () =>
    (await store.db.selectFrom('leases').select('name').orderBy('name').execute()).map((r) => r.name);

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
  });
  afterEach(() => cleanup());

  /** A hook whose work inserts lease `entry`, noting what it saw of the transaction. */
  function recorder() {
    const events: string[] = [];
    let taken = false;
    const hook: WriteHook = {
      claim: () => {
        if (taken) return false;
        taken = true;
        events.push('claim');
        return true;
      },
      lock: async (run) => {
        await run(store.db.selectFrom('leases').select('name').where('name', '=', 'entry').compile());
        events.push('lock');
      },
      write: async (run) => {
        const seen = await run(store.db.selectFrom('leases').select('name').orderBy('name').compile());
        events.push(`write saw ${(seen.rows as Array<{ name: string }>).map((r) => r.name).join(',')}`);
        await run(store.db.insertInto('leases').values(lease('entry')).compile());
      },
      committed: () => events.push('committed'),
      rolledBack: () => {
        taken = false;
        events.push('rolled back');
      },
    };
    return { hook, events };
  }

  it('db.transaction(): the work goes in just before the COMMIT, once, and commits with the change', async () => {
    const { hook, events } = recorder();
    await runWithWriteHook(hook, async () => {
      await store.db.transaction().execute(async (trx) => {
        await trx.insertInto('leases').values(lease('a')).execute();
        await trx.insertInto('leases').values(lease('b')).execute();
      });
      // A later transaction of the same run carries nothing.
      await store.db.insertInto('leases').values(lease('c')).execute();
    });
    expect(events).toEqual(['claim', 'lock', 'write saw a,b', 'committed']);
    expect(await names()).toEqual(['a', 'b', 'c', 'entry']);
  });

  it('a transaction that throws after writing takes the work with it; the next one carries it', async () => {
    const { hook, events } = recorder();
    await runWithWriteHook(hook, async () => {
      await expect(
        store.db.transaction().execute(async (trx) => {
          await trx.insertInto('leases').values(lease('a')).execute();
          throw new Error('the change fails');
        }),
      ).rejects.toThrow(/the change fails/);
      expect(await names()).toEqual([]);
      await store.db.insertInto('leases').values(lease('b')).execute();
    });
    expect(events).toEqual(['claim', 'lock', 'rolled back', 'claim', 'lock', 'write saw b', 'committed']);
    expect(await names()).toEqual(['b', 'entry']);
  });

  it('a batched transaction: its reads answer in order, the work goes before its COMMIT; a failed one leaves nothing', async () => {
    await store.db.insertInto('leases').values(lease('a', 1)).execute();
    const { hook, events } = recorder();
    const read = await runWithWriteHook(hook, () =>
      batchedTransaction(store.db, async (batch, conn) => {
        const before = batch.add(conn.selectFrom('leases').select('name').orderBy('name'));
        batch.add(conn.insertInto('leases').values(lease('b', 2)));
        const after = batch.add(conn.selectFrom('leases').select(['name', 'expires_at']).orderBy('name'));
        return () => ({ before: before.rows.map((r) => r.name), after: after.rows.map((r) => r.name) });
      }),
    );
    expect(read).toEqual({ before: ['a'], after: ['a', 'b'] });
    expect(events).toEqual(['claim', 'lock', 'write saw a,b', 'committed']);
    expect(await names()).toEqual(['a', 'b', 'entry']);

    const failing = recorder();
    await expect(
      runWithWriteHook(failing.hook, () =>
        batchedTransaction(store.db, async (batch, conn) => {
          batch.add(conn.insertInto('leases').values(lease('c', 3)));
          await batch.run();
          throw new Error('the batch fails after writing');
        }),
      ),
    ).rejects.toThrow(/fails after writing/);
    expect(failing.events).toEqual(['claim', 'lock', 'rolled back']);
    expect(await names()).toEqual(['a', 'b', 'entry']);
  });

  it('a lone write runs in a transaction of its own with the work after it', async () => {
    const { hook, events } = recorder();
    await runWithWriteHook(hook, () => store.db.insertInto('leases').values(lease('a')).execute());
    expect(events).toEqual(['claim', 'lock', 'write saw a', 'committed']);
    expect(await names()).toEqual(['a', 'entry']);
    // Reads claim nothing; writes under withoutWriteHook or outside any run neither.
    const other = recorder();
    await runWithWriteHook(other.hook, async () => {
      await store.db.selectFrom('leases').selectAll().execute();
      await withoutWriteHook(() => store.db.insertInto('leases').values(lease('b')).execute());
    });
    await store.db.insertInto('leases').values(lease('c')).execute();
    expect(other.events).toEqual([]);
    expect(await names()).toEqual(['a', 'b', 'c', 'entry']);
  });
});
