// Migration 25 (status-page): the public status page's settings, one row (`id` = 'main') holding the
// validated configuration as JSON (contract/status-page-schemas.ts), so a new field needs no migration.
import { SqliteAdapter, sql } from 'kysely';
import type { Migration } from '../migrations.js';

export const migration25: Migration | null = {
  version: 25,
  name: 'status page',
  async up(db) {
    await db.schema
      .createTable('status_page')
      .addColumn('id', 'varchar(16)', (c) => c.primaryKey())
      // ≤ 20 groups × 100 items (the request body's 1 MiB bounds it too): MEDIUMTEXT on MariaDB.
      .addColumn('config', db.getExecutor().adapter instanceof SqliteAdapter ? 'text' : sql`mediumtext`, (c) =>
        c.notNull(),
      )
      .addColumn('revision', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'varchar(256)', (c) => c.notNull())
      .execute();
  },
};

export interface StatusPageTable {
  id: string;
  /** JSON of StatusPageConfig. */
  config: string;
  revision: number;
  updated_at: number;
  /** The caller's name who saved it (desktop, admin token, a user). */
  updated_by: string;
}

export interface Tables25 {
  status_page: StatusPageTable;
}
