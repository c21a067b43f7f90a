// Instances starting at once on a shared database migrate one after another: the holder of a row in
// `migration_lock` migrates, renewing its lease while it does; the others wait and then find nothing
// left to do. A row, not GET_LOCK: Galera Cluster does not replicate named locks (a GET_LOCK taken
// on one node means nothing to another), but it does replicate rows, and of two nodes inserting the
// same row at once one fails certification (a deadlock error) and waits like any other loser. A
// holder that dies leaves a lease that expires; the next instance takes it over.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FleetError } from '../../contract/errors.js';
import { databaseNow } from '../cluster/db-clock.js';
import type { Db } from './schema.js';

const LOCK = 'migrate';

export interface MigrationLockTimings {
  /** How long a lease lasts without renewal (a dead holder blocks the others this long at most). */
  ttlMs: number;
  renewMs: number;
  /** How long an instance waits for the lock before giving up. */
  waitMs: number;
  retryMs: number;
}

export const DEFAULT_MIGRATION_LOCK: MigrationLockTimings = {
  ttlMs: 30_000,
  renewMs: 10_000,
  waitMs: 120_000,
  retryMs: 250,
};

async function createLockTable(db: Db): Promise<void> {
  await db.schema
    .createTable('migration_lock')
    .ifNotExists()
    .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('holder', 'varchar(64)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

/** One attempt: insert the row, or take over a lease that expired. */
async function tryAcquire(db: Db, holder: string, ttlMs: number): Promise<boolean> {
  const now = await databaseNow(db, 'mariadb');
  try {
    await db
      .insertInto('migration_lock')
      .values({ name: LOCK, holder, expires_at: now + ttlMs })
      .execute();
    return true;
  } catch (error) {
    // 1062: the row exists (someone holds it); 1213: Galera certification or a deadlock (someone won).
    const errno = (error as { errno?: number }).errno;
    if (errno !== 1062 && errno !== 1213) throw error;
  }
  const taken = await db
    .updateTable('migration_lock')
    .set({ holder, expires_at: now + ttlMs })
    .where('name', '=', LOCK)
    .where('expires_at', '<', now)
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}

async function holderOf(db: Db): Promise<string | null> {
  const row = await db.selectFrom('migration_lock').select('holder').where('name', '=', LOCK).executeTakeFirst();
  return row?.holder ?? null;
}

/** Runs `work` while holding the migration lock; waits for another holder up to `waitMs`. */
export async function withMigrationLock<T>(
  db: Db,
  work: () => Promise<T>,
  timings: MigrationLockTimings = DEFAULT_MIGRATION_LOCK,
): Promise<T> {
  await createLockTable(db);
  const holder = randomUUID();
  const deadline = performance.now() + timings.waitMs;
  while (!(await tryAcquire(db, holder, timings.ttlMs))) {
    if (performance.now() > deadline) {
      throw new FleetError(
        'unavailable',
        `Another FleetDeck instance (lock holder ${await holderOf(db)}) has been migrating this database for ${Math.round(timings.waitMs / 1000)} s; try again once it is done (or, if it died, once its lease expires within ${Math.round(timings.ttlMs / 1000)} s).`,
      );
    }
    await sleep(timings.retryMs);
  }
  const renew = setInterval(() => {
    void databaseNow(db, 'mariadb')
      .then((now) =>
        db
          .updateTable('migration_lock')
          .set({ expires_at: now + timings.ttlMs })
          .where('name', '=', LOCK)
          .where('holder', '=', holder)
          .execute(),
      )
      .catch(() => undefined); // the next renewal tries again; the lease outlasts two misses
  }, timings.renewMs);
  try {
    return await work();
  } finally {
    clearInterval(renew);
    await db.deleteFrom('migration_lock').where('name', '=', LOCK).where('holder', '=', holder).execute();
  }
}
