import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../main/core/store/schema.js';
import { batchedTransaction, StatementBatch } from '../../main/core/store/statement-batch.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

describe.each(storeTargets())('statement batches on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const lease = (name: string, expires = 1) => ({ name, holder: 'test', expires_at: expires });
  const names = async () =>
    (await store.db.selectFrom('leases').select('name').orderBy('name').execute()).map((r) => r.name);

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
  });
  afterEach(() => cleanup());

  it('answers every statement of a run with its own rows, in order', async () => {
    await store.db
      .insertInto('leases')
      .values([lease('a', 1), lease('b', 2)])
      .execute();
    const batch = new StatementBatch(store.db, store.db);
    const first = batch.add(store.db.selectFrom('leases').select('name').where('name', '=', 'a'));
    const written = batch.add(store.db.insertInto('leases').values(lease('c', 3)));
    const all = batch.add(store.db.selectFrom('leases').select(['name', 'expires_at']).orderBy('name'));
    expect(() => first.rows).toThrow(/not run yet/);
    await batch.run();
    expect(first.rows).toEqual([{ name: 'a' }]);
    expect(written.rows).toEqual([]);
    expect(all.rows.map((r) => [r.name, Number(r.expires_at)])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('commits a transaction whose last statements were still queued', async () => {
    const count = await batchedTransaction(store.db, async (batch, conn: Db) => {
      batch.add(conn.insertInto('leases').values(lease('a')));
      await batch.run();
      batch.add(conn.insertInto('leases').values(lease('b')));
      const seen = batch.add(conn.selectFrom('leases').select('name'));
      return () => seen.rows.length;
    });
    expect(count).toBe(2);
    expect(await names()).toEqual(['a', 'b']);
  });

  it('rolls the whole transaction back when a statement fails, and the database stays usable', async () => {
    await store.db.insertInto('leases').values(lease('taken')).execute();
    const attempt = batchedTransaction(store.db, async (batch, conn: Db) => {
      batch.add(conn.insertInto('leases').values(lease('a')));
      await batch.run();
      batch.add(conn.insertInto('leases').values(lease('b')));
      batch.add(conn.insertInto('leases').values(lease('taken'))); // duplicate key
      batch.add(conn.insertInto('leases').values(lease('c')));
      return () => 'committed';
    });
    await expect(attempt).rejects.toThrow(/duplicate|unique/i);
    expect(await names()).toEqual(['taken']);
    await batchedTransaction(store.db, async (batch, conn: Db) => {
      batch.add(conn.insertInto('leases').values(lease('after')));
      return () => undefined;
    });
    expect(await names()).toEqual(['after', 'taken']);
  });
});
