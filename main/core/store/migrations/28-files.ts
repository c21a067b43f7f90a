// Migration 28 (files): node-to-node copies in the store, so a copy outlives the master that ran it
// in the transfer queue. A copy running when its master stopped is marked interrupted when that master
// (the same instance id: the same data directory) starts again; nothing is resumed half-way.
import type { Migration } from '../migrations.js';

export const migration28: Migration | null = {
  version: 28,
  name: 'file copies',
  async up(db) {
    await db.schema
      .createTable('file_copies')
      .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
      .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('from_node', 'varchar(64)', (c) => c.notNull())
      .addColumn('from_path', 'varchar(4096)', (c) => c.notNull())
      .addColumn('to_node', 'varchar(64)', (c) => c.notNull())
      .addColumn('to_path', 'varchar(4096)', (c) => c.notNull())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('state', 'varchar(16)', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('total_bytes', 'bigint')
      .addColumn('files', 'integer', (c) => c.notNull())
      .addColumn('total_files', 'integer')
      .addColumn('skipped', 'integer', (c) => c.notNull())
      .addColumn('error_code', 'varchar(32)')
      .addColumn('error_message', 'text')
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('file_copies_started').on('file_copies').column('started_at').execute();
  },
};

export interface FileCopiesTable {
  id: string;
  /** The master instance that runs (ran) it. */
  instance_id: string;
  from_node: string;
  from_path: string;
  to_node: string;
  to_path: string;
  kind: 'file' | 'directory';
  /** CopyView's states, and `interrupted`: its master stopped while it ran. */
  state: string;
  bytes: number;
  total_bytes: number | null;
  files: number;
  total_files: number | null;
  skipped: number;
  error_code: string | null;
  error_message: string | null;
  started_at: number;
  finished_at: number | null;
  updated_at: number;
}

export interface Tables28 {
  file_copies: FileCopiesTable;
}
