// Forward-only schema history. Append new migrations; never edit a released one.
// DDL is written through Kysely's schema builder so it runs on SQLite and MariaDB alike.
import type { Kysely } from 'kysely';

export interface Migration {
  version: number;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
  up(db: Kysely<any>): Promise<void>;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'nodes',
    async up(db) {
      await db.schema
        .createTable('nodes')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)')
        .addColumn('prev_token_hash', 'varchar(64)')
        .addColumn('prev_token_expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('hostname', 'varchar(256)')
        .addColumn('os', 'varchar(256)')
        .addColumn('platform', 'varchar(32)')
        .addColumn('arch', 'varchar(32)')
        .addColumn('kernel', 'varchar(256)')
        .addColumn('boot_id', 'varchar(128)')
        .addColumn('agent_version', 'varchar(64)')
        .addColumn('remote_addr', 'varchar(128)')
        .addColumn('capabilities', 'text')
        .addColumn('connected_since', 'bigint')
        .addColumn('last_seen_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('nodes_token_hash').on('nodes').column('token_hash').unique().execute();
      await db.schema.createIndex('nodes_prev_token_hash').on('nodes').column('prev_token_hash').execute();
    },
  },
  {
    version: 2,
    name: 'node status history',
    async up(db) {
      await db.schema
        .createTable('node_status_events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('node_id', 'varchar(64)', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'varchar(256)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('node_status_events_node_at')
        .on('node_status_events')
        .columns(['node_id', 'at'])
        .execute();
    },
  },
];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]?.version ?? 0;
