// Migration 30 (sign-in failures): the sign-in throttle's counts in the store, so that the instances
// of a cluster count one guesser together (spreading guesses over masters buys nothing) and a restart
// does not forgive them. A row per account name or address, keyed by a hash (bounded, whatever was
// typed); rows past the forget time are pruned.
import type { Migration } from '../migrations.js';

export const migration30: Migration | null = {
  version: 30,
  name: 'sign-in failures',
  async up(db) {
    await db.schema
      .createTable('sign_in_failures')
      .addColumn('key_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('last_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sign_in_failures_last_at').on('sign_in_failures').column('last_at').execute();
  },
};

export interface SignInFailuresTable {
  /** SHA-256 (hex) of `u:<account name, lower case>` or `a:<address>`. */
  key_hash: string;
  failures: number;
  last_at: number;
}

export interface Tables30 {
  sign_in_failures: SignInFailuresTable;
}
